//! Decompression, chosen by magic bytes (never by file name).
//!
//! gzip takes a fast path where it can be proved safe: a file of at most [`WHOLE_LIMIT`] bytes
//! is inflated in one call by libdeflate, and accepted only if that one call consumed the whole
//! file (so it was a single gzip member, as CloudTrail writes them). Anything else — several
//! members, a lying size trailer, damage — goes through flate2's streaming `MultiGzDecoder`,
//! which reads every member and reports where the stream broke. zstd is decoded by `ruzstd`
//! (pure Rust), frame after frame.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Files up to this size (compressed) may be inflated whole.
pub const WHOLE_LIMIT: u64 = 64 << 20;
/// Decompressed size limit of the whole-buffer path.
pub const WHOLE_OUT_LIMIT: usize = 256 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How an input was compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Decoded input: all of it in memory, or a stream to read in chunks.
pub enum Decoded {
    Whole(Vec<u8>),
    Stream(Box<dyn Read + Send>),
}

/// Counts compressed bytes read, for progress and MB/s.
#[derive(Clone, Default)]
pub struct ByteCounter(pub Arc<AtomicU64>);

impl ByteCounter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    counter: ByteCounter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.add(n as u64);
        Ok(n)
    }
}

/// Opens a file and sets up decompression by its first bytes.
pub fn open_path(path: &Path, counter: &ByteCounter) -> io::Result<(Decoded, Compression)> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory",
        ));
    }
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)?;
    let magic = &magic[..n];
    let size = meta.len();
    if magic.starts_with(&GZIP_MAGIC) && size <= WHOLE_LIMIT {
        let mut data = Vec::with_capacity(size as usize);
        data.extend_from_slice(magic);
        file.read_to_end(&mut data)?;
        counter.add(data.len() as u64);
        if let Some(out) = inflate_single_member(&data) {
            return Ok((Decoded::Whole(out), Compression::Gzip));
        }
        let stream = flate2::read::MultiGzDecoder::new(io::Cursor::new(data));
        return Ok((Decoded::Stream(Box::new(stream)), Compression::Gzip));
    }
    counter.add(n as u64);
    let rest = Counting {
        inner: file,
        counter: counter.clone(),
    };
    let reader = io::Cursor::new(magic.to_vec()).chain(rest);
    Ok(stream_for(magic, Box::new(reader)))
}

/// The first `max` decoded bytes of a file (decompressing only as much as needed).
pub fn read_head(path: &Path, max: usize) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)?;
    let magic = magic[..n].to_vec();
    let reader = io::Cursor::new(magic.clone()).chain(file);
    let (decoded, _) = stream_for(&magic, Box::new(reader));
    let Decoded::Stream(r) = decoded else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(max);
    // A damaged stream still gives the bytes before the damage.
    let _ = r.take(max as u64).read_to_end(&mut out);
    Ok(out)
}

/// Sets up decompression for standard input (or any stream).
pub fn open_stream(
    mut reader: Box<dyn BufRead + Send>,
    counter: &ByteCounter,
) -> io::Result<(Decoded, Compression)> {
    let head = reader.fill_buf()?;
    let magic: Vec<u8> = head[..head.len().min(4)].to_vec();
    let counted = Counting {
        inner: reader,
        counter: counter.clone(),
    };
    Ok(stream_for(&magic, Box::new(counted)))
}

fn stream_for(magic: &[u8], reader: Box<dyn Read + Send>) -> (Decoded, Compression) {
    if magic.starts_with(&GZIP_MAGIC) {
        let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, reader));
        (Decoded::Stream(Box::new(gz)), Compression::Gzip)
    } else if magic == ZSTD_MAGIC {
        (
            Decoded::Stream(Box::new(ZstdFrames::new(reader))),
            Compression::Zstd,
        )
    } else {
        (Decoded::Stream(reader), Compression::None)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Where the deflate stream of a single-member gzip file starts (after the RFC 1952 header).
fn gzip_header_len(data: &[u8]) -> Option<usize> {
    if data.len() < 18 || !data.starts_with(&GZIP_MAGIC) || data[2] != 8 {
        return None;
    }
    let flags = data[3];
    if flags & 0xe0 != 0 {
        return None;
    }
    let mut pos = 10;
    if flags & 0x04 != 0 {
        let xlen = u16::from_le_bytes([*data.get(pos)?, *data.get(pos + 1)?]) as usize;
        pos += 2 + xlen;
    }
    for flag in [0x08, 0x10] {
        if flags & flag != 0 {
            pos += memchr::memchr(0, data.get(pos..)?)? + 1;
        }
    }
    if flags & 0x02 != 0 {
        pos += 2;
    }
    (pos + 8 <= data.len()).then_some(pos)
}

/// Inflates `data` with libdeflate when it is exactly one gzip member whose size trailer is
/// right; `None` sends the caller to the streaming decoder.
///
/// The raw deflate stream is inflated between the header and the 8-byte trailer; it must end
/// exactly at the trailer (so there is no second member) and produce exactly the trailer's
/// size. The trailer's CRC-32 is not recomputed: that pass costs about as much as a tenth of
/// the whole scan, damage to the deflate stream is still detected by the inflater, and the
/// checksum is no defence against a deliberate edit anyway (CloudTrail digest files are).
pub fn inflate_single_member(data: &[u8]) -> Option<Vec<u8>> {
    let start = gzip_header_len(data)?;
    let end = data.len() - 8;
    let isize_bytes: [u8; 4] = data[data.len() - 4..].try_into().ok()?;
    let expected = u32::from_le_bytes(isize_bytes) as usize;
    if expected > WHOLE_OUT_LIMIT || start > end {
        return None;
    }
    let body = &data[start..end];
    let mut out: Vec<u8> = Vec::with_capacity(expected.max(1));
    let mut in_used = 0usize;
    let mut out_used = 0usize;
    let ok = LIBDEFLATE.with(|d| {
        if d.0.is_null() {
            // The handle could not be allocated: the streaming decoder reads the file instead.
            return false;
        }
        // Safety: the decompressor is a live, non-null libdeflate handle owned by this thread
        // (checked just above); input and
        // output pointers are valid for the lengths given (the output is the Vec's capacity),
        // and libdeflate writes at most `out.capacity()` bytes, reporting how many in
        // `out_used`, which is then set as the length.
        unsafe {
            let r = libdeflate_sys::libdeflate_deflate_decompress_ex(
                d.0,
                body.as_ptr().cast(),
                body.len(),
                out.as_mut_ptr().cast(),
                out.capacity(),
                &mut in_used,
                &mut out_used,
            );
            r == libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS
        }
    });
    if !ok || in_used != body.len() || out_used != expected || out_used > out.capacity() {
        return None;
    }
    // Safety: libdeflate initialised exactly `out_used` bytes (checked above against capacity).
    unsafe { out.set_len(out_used) };
    Some(out)
}

struct Libdeflate(*mut libdeflate_sys::libdeflate_decompressor);

impl Drop for Libdeflate {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // Safety: a non-null handle from libdeflate_alloc_decompressor, freed once, here.
            unsafe { libdeflate_sys::libdeflate_free_decompressor(self.0) }
        }
    }
}

thread_local! {
    // Safety: libdeflate_alloc_decompressor takes no arguments and returns a fresh handle, or
    // null when its allocation fails; every use above checks for null first.
    static LIBDEFLATE: Libdeflate = Libdeflate(unsafe { libdeflate_sys::libdeflate_alloc_decompressor() });
}

/// A zstd stream of one or more frames.
struct ZstdFrames {
    inner: Option<
        ruzstd::decoding::StreamingDecoder<
            BufReader<Box<dyn Read + Send>>,
            ruzstd::decoding::FrameDecoder,
        >,
    >,
    source: Option<BufReader<Box<dyn Read + Send>>>,
}

impl ZstdFrames {
    fn new(reader: Box<dyn Read + Send>) -> Self {
        ZstdFrames {
            inner: None,
            source: Some(BufReader::with_capacity(1 << 16, reader)),
        }
    }
}

impl Read for ZstdFrames {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(dec) = self.inner.as_mut() {
                let n = dec.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                // Frame finished: look for another one.
                let dec = self.inner.take().expect("checked above");
                self.source = Some(dec.into_inner());
            }
            let Some(mut src) = self.source.take() else {
                return Ok(0);
            };
            if src.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let dec = ruzstd::decoding::StreamingDecoder::new(src)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
            self.inner = Some(dec);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn single_member_fast_path() {
        let data = b"hello hello hello".repeat(100);
        assert_eq!(inflate_single_member(&gz(&data)).unwrap(), data);
        // A header with a file name and a comment (as gzip(1) writes).
        let mut e = flate2::GzBuilder::new()
            .filename("x.json")
            .comment("c")
            .write(Vec::new(), flate2::Compression::fast());
        e.write_all(&data).unwrap();
        assert_eq!(inflate_single_member(&e.finish().unwrap()).unwrap(), data);
        // A wrong size trailer sends the file to the streaming decoder.
        let mut g = gz(&data);
        let n = g.len();
        g[n - 4] ^= 1;
        assert_eq!(inflate_single_member(&g), None);
    }

    #[test]
    fn multi_member_is_refused_by_fast_path_and_read_by_stream() {
        let mut two = gz(b"first\n");
        two.extend(gz(b"second\n"));
        assert_eq!(inflate_single_member(&two), None);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, &two).unwrap();
        let (dec, c) = open_path(&p, &ByteCounter::default()).unwrap();
        assert_eq!(c, Compression::Gzip);
        let Decoded::Stream(mut r) = dec else {
            panic!("multi-member must stream")
        };
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "first\nsecond\n");
    }

    #[test]
    fn truncated_gzip_is_an_error_after_the_good_part() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let g = gz(&data);
        let cut = &g[..g.len() / 2];
        assert_eq!(inflate_single_member(cut), None);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gz");
        std::fs::write(&p, cut).unwrap();
        let (dec, _) = open_path(&p, &ByteCounter::default()).unwrap();
        let Decoded::Stream(mut r) = dec else {
            panic!()
        };
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!out.is_empty() && data.starts_with(&out));
    }
}
