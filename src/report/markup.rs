//! HTML that cannot carry unescaped text: a page is built with [`html!`] from pieces that
//! implement [`Render`], and only three kinds of piece exist — markup written in the source
//! (`&'static str` literals), numbers, and [`Text`], which escapes. A `String` or a borrowed
//! `&str` from a record is not a piece: passing one is a compile error, not an injection.
//!
//! (Escaping by construction, as template engines do, without a template language: the report
//! is a few hundred lines of Rust and its charts compute their coordinates.)

use std::fmt::Write as _;

/// A page or fragment under construction. Its text is reachable only through [`Render`].
#[derive(Default)]
pub struct Html(String);

impl Html {
    pub fn with_capacity(n: usize) -> Html {
        Html(String::with_capacity(n))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Something that can be written into a page.
pub trait Render {
    fn render_to(&self, h: &mut Html);
}

/// Markup written in trailhound's source. `'static` keeps record text out: a `&str` borrowed
/// from a finding does not live that long.
impl Render for &'static str {
    fn render_to(&self, h: &mut Html) {
        h.0.push_str(self);
    }
}

/// A fragment built by the same rules.
impl Render for Html {
    fn render_to(&self, h: &mut Html) {
        h.0.push_str(&self.0);
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Render for $t {
            fn render_to(&self, h: &mut Html) {
                let _ = write!(h.0, "{self}");
            }
        }
    )*};
}
numbers!(u8, u16, u32, u64, usize, i32, i64, f64);

/// Text: element content or a quoted attribute value, escaped.
pub struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, h: &mut Html) {
        escape_into(&mut h.0, self.0);
    }
}

/// A number with a fixed count of decimals (`{:.N}`).
pub struct Fixed(pub f64, pub usize);

impl Render for Fixed {
    fn render_to(&self, h: &mut Html) {
        let _ = write!(h.0, "{:.*}", self.1, self.0);
    }
}

/// A number padded with zeros to a width (`{:0N}`).
pub struct Padded(pub usize, pub usize);

impl Render for Padded {
    fn render_to(&self, h: &mut Html) {
        let _ = write!(h.0, "{:0w$}", self.0, w = self.1);
    }
}

/// Escapes text for HTML element content and quoted attribute values: the five markup
/// characters, and control characters (a terminal escape in a user agent is shown, not run).
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Writes pieces ([`Render`]) into an [`Html`], in order:
/// `html!(h, "<td>", Text(&f.principal), "</td><td>", f.event_count, "</td>")`.
macro_rules! html {
    ($h:expr $(, $piece:expr)* $(,)?) => {{
        let h: &mut $crate::report::markup::Html = $h;
        $( $crate::report::markup::Render::render_to(&$piece, h); )*
    }};
}
pub(crate) use html;

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut h = Html::default();
        html!(&mut h, Text(s));
        h.into_string()
    }

    #[test]
    fn hostile_strings_are_text() {
        assert_eq!(
            text("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            text("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(text("a'b&c\u{1b}[2J"), "a&#39;b&amp;c&#x1b;[2J");
    }

    #[test]
    fn pieces_in_order() {
        let mut inner = Html::default();
        html!(&mut inner, "<b>", Text("x<y"), "</b>");
        let mut h = Html::default();
        html!(
            &mut h,
            "<p>",
            inner,
            " ",
            7u32,
            " ",
            Fixed(1.25, 1),
            " ",
            Padded(5, 2),
            "</p>"
        );
        assert_eq!(h.into_string(), "<p><b>x&lt;y</b> 7 1.2 05</p>");
    }
}
