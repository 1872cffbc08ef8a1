//! Which listed network an address falls in, in O(log n): a threat-intelligence list of
//! 100,000 networks (FireHOL-sized) costs a binary search per event, not 100,000 compares.
//!
//! Networks are prefix-aligned, so two of them are either disjoint or one holds the other.
//! Each is a range of 128-bit keys (IPv4 as IPv4-mapped IPv6, so `::ffff:a.b.c.d` and
//! `a.b.c.d` are the same address), sorted by start with the wider first, and each knows the
//! nearest range that holds it. A lookup finds the last range starting at or before the
//! address and walks out through its holders (at most one step per prefix length) to the
//! first that contains it: the most specific listed network.

use std::net::IpAddr;

use super::Cidr;

#[derive(Clone, Debug, Default)]
pub struct CidrTable {
    /// (start, end, entry), sorted by start, then wider first.
    ranges: Vec<(u128, u128, u32)>,
    /// For each range, the index of the nearest range holding it (`u32::MAX`: none).
    parent: Vec<u32>,
}

fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => (0xffff_u128 << 32) | u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn range(c: &Cidr) -> (u128, u128) {
    let (start, prefix) = match c.addr {
        IpAddr::V4(_) => (key(c.addr), u32::from(c.prefix.min(32)) + 96),
        IpAddr::V6(_) => (key(c.addr), u32::from(c.prefix.min(128))),
    };
    let host_bits = 128 - prefix;
    let mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (start & !mask, start | mask)
}

impl CidrTable {
    /// A table of `cidrs`; a lookup returns the index into `cidrs` of the most specific
    /// network holding the address (the first listed, among equal networks).
    pub fn new<'a>(cidrs: impl IntoIterator<Item = &'a Cidr>) -> Self {
        let mut ranges: Vec<(u128, u128, u32)> = cidrs
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let (s, e) = range(c);
                (s, e, i as u32)
            })
            .collect();
        ranges.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        ranges.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        let mut parent = vec![u32::MAX; ranges.len()];
        let mut open: Vec<usize> = Vec::new();
        for (i, r) in ranges.iter().enumerate() {
            while open
                .last()
                .is_some_and(|&o| ranges.get(o).is_some_and(|p| p.1 < r.0))
            {
                open.pop();
            }
            if let (Some(&o), Some(slot)) = (open.last(), parent.get_mut(i)) {
                *slot = o as u32;
            }
            open.push(i);
        }
        CidrTable { ranges, parent }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The entry of the most specific network holding `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<usize> {
        if self.ranges.is_empty() {
            return None;
        }
        let k = match ip {
            // An IPv4-mapped IPv6 address is its IPv4 address.
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(u128::from(v6), |v4| key(v4.into())),
            v4 => key(v4),
        };
        let after = self.ranges.partition_point(|r| r.0 <= k);
        let mut i = after.checked_sub(1)?;
        loop {
            let &(s, e, entry) = self.ranges.get(i)?;
            if s <= k && k <= e {
                return Some(entry as usize);
            }
            let p = *self.parent.get(i)?;
            if p == u32::MAX {
                return None;
            }
            i = p as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(list: &[&str]) -> (CidrTable, Vec<Cidr>) {
        let cidrs: Vec<Cidr> = list.iter().map(|s| Cidr::parse(s).unwrap()).collect();
        (CidrTable::new(&cidrs), cidrs)
    }

    fn linear(cidrs: &[Cidr], ip: IpAddr) -> Option<usize> {
        // The most specific containing network, first listed among equals.
        cidrs
            .iter()
            .enumerate()
            .filter(|(_, c)| c.contains(ip))
            .max_by(|a, b| a.1.prefix.cmp(&b.1.prefix).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
    }

    #[test]
    fn nested_and_disjoint_networks() {
        let (t, _) = table(&[
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.2.0.0/16",
            "192.0.2.7",
            "2001:db8::/32",
            "0.0.0.0/0",
        ]);
        let at = |s: &str| t.lookup(s.parse().unwrap());
        assert_eq!(at("10.1.2.3"), Some(2));
        assert_eq!(at("10.1.3.3"), Some(1));
        assert_eq!(
            at("10.3.0.1"),
            Some(0),
            "past a nested range, back out to its holder"
        );
        assert_eq!(at("10.2.255.255"), Some(3));
        assert_eq!(at("192.0.2.7"), Some(4));
        assert_eq!(
            at("192.0.2.8"),
            Some(6),
            "the default route holds the rest of IPv4"
        );
        assert_eq!(at("2001:db8:1::1"), Some(5));
        assert_eq!(
            at("2001:db9::1"),
            None,
            "IPv4's default route is not IPv6's"
        );
        assert_eq!(
            at("::ffff:10.1.2.3"),
            Some(2),
            "IPv4-mapped is the IPv4 address"
        );
        let (empty, _) = table(&[]);
        assert_eq!(empty.lookup("10.0.0.1".parse().unwrap()), None);
    }

    #[test]
    fn agrees_with_a_linear_scan_on_random_lists() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20 {
            let list: Vec<String> = (0..300)
                .map(|_| {
                    let v = next();
                    // Few first octets, so networks nest and collide often.
                    let a = 10 + (v % 3) as u8;
                    let p = 8 + (v >> 8) % 25;
                    format!(
                        "{a}.{}.{}.{}/{p}",
                        (v >> 16) % 4,
                        (v >> 24) % 4,
                        (v >> 32) % 256
                    )
                })
                .collect();
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let (t, cidrs) = table(&refs);
            for _ in 0..2000 {
                let v = next();
                let ip: IpAddr = format!(
                    "{}.{}.{}.{}",
                    10 + v % 3,
                    (v >> 8) % 4,
                    (v >> 16) % 4,
                    (v >> 24) % 256
                )
                .parse()
                .unwrap();
                let want = linear(&cidrs, ip).map(|i| (cidrs[i].addr, cidrs[i].prefix));
                let got = t.lookup(ip).map(|i| (cidrs[i].addr, cidrs[i].prefix));
                assert_eq!(got, want, "{ip}");
            }
        }
    }
}
