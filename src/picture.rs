//! `--html FILE`: a picture of one run as a single self-contained HTML file
//! (inline script and styles, nothing fetched, opens from disk): a lane per
//! node over virtual time, messages as arrows, faults as marks, the
//! clients' operations as intervals, the violation at its event. The data
//! inside is the run's trace, the same JSON lines `--trace` writes; the
//! viewer (`picture/viewer.js`) reads them back in the browser.

/// The page around the data.
const PAGE: &str = include_str!("picture/viewer.html");
/// The viewer's styles.
const STYLE: &str = include_str!("picture/viewer.css");
/// The viewer.
const SCRIPT: &str = include_str!("picture/viewer.js");

/// The picture of the run whose trace is `lines` (JSON lines), with
/// `left_out` events past the size bound not included.
#[must_use]
pub fn html(lines: &[u8], left_out: u64) -> String {
    let data = String::from_utf8_lossy(lines);
    // JSON holds `<` only inside strings, where `\u003c` means the same:
    // so no line can close the script element that carries the data.
    let data = data.replace('<', "\\u003c");
    PAGE.replacen("/*STYLE*/", STYLE, 1)
        .replacen("/*LEFT_OUT*/0", &left_out.to_string(), 1)
        .replacen("/*DATA*/", &data, 1)
        .replacen("/*SCRIPT*/", SCRIPT, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_cannot_close_its_script_element() {
        let lines = br#"{"kind":"end","message":"</script><script>alert(1)</script>"}
"#;
        let page = html(lines, 0);
        let data_at = page.find("id=\"trace-data\"").expect("the data element");
        let data_end = page[data_at..].find("</script>").expect("its end") + data_at;
        let data = &page[data_at..data_end];
        assert!(data.contains(r"\u003c/script>\u003cscript>alert(1)"));
        assert_eq!(
            page.matches("<script").count(),
            2,
            "the data and the viewer"
        );
    }

    #[test]
    fn the_page_fetches_nothing() {
        let page = html(b"", 3);
        for outside in [
            "src=\"http",
            "href=\"http",
            "@import",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!page.contains(outside), "{outside}");
        }
        assert!(page.contains("const LEFT_OUT = 3;"));
        assert!(!page.contains("/*SCRIPT*/") && !page.contains("/*STYLE*/"));
    }
}
