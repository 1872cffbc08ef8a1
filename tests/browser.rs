//! The HTML report in a real browser (headless Chromium, which `scripts/test` installs): it
//! renders with no console messages, hostile strings from the logs stay text, and a
//! screenshot of it is a real page.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{hostile_trail, run};

/// Chromium on PATH (`TRAILHOUND_CHROMIUM` overrides). Missing is a failure, not a skip:
/// `scripts/test` installs it.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("TRAILHOUND_CHROMIUM") {
        return p.into();
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !path.is_empty() {
                return path.into();
            }
        }
    }
    panic!("no chromium on PATH: run scripts/test, which installs it (apt-get install chromium)");
}

/// Loads a page headless; returns the DOM after load and the console messages.
fn load(page: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Containers give /dev/shm a few MB: use /tmp instead.
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{out:?}");
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn the_console_check_can_fail() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!doctype html><p>x</p><script>console.error('boom'); nope();</script>",
    )
    .unwrap();
    let (_, console) = load(&page);
    assert!(console.len() >= 2, "{console:?}");
}

#[test]
fn html_report_renders_in_chromium_with_hostile_strings_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let trail = hostile_trail(dir.path(), true);
    let page = dir.path().join("report.html");
    let out = run(&[
        "scan",
        "-q",
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
        trail.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("aws.s3.public_policy") && html.contains("aws.s3.anonymous_read"));

    let (dom, console) = load(&page);
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The browser built no element from the logs' markup: it is all text.
    for tag in ["<img", "<script"] {
        assert!(!dom.contains(tag), "{tag} became an element:\n{dom}");
    }
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "principal as text"
    );
    assert!(
        dom.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
        "user agent as text"
    );
    assert!(dom.contains("onerror=alert(4)"), "object key shown");
    assert!(dom.contains("Incidents"));

    // Screenshot: a page of the requested size with something drawn on it.
    let shot = dir.path().join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let status = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Containers give /dev/shm a few MB: use /tmp instead.
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1280,1600",
            &format!("--user-data-dir={}", profile.path().display()),
            &format!("--screenshot={}", shot.display()),
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(status.status.success(), "{status:?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(png_size(&png), (1280, 1600));
    // A blank page of that size compresses to a few kB; the report is far more.
    assert!(png.len() > 30_000, "screenshot of {} bytes", png.len());
}
