//! Uploaded documents: what we accept, judged by content, never by name.

use crate::errors::ParseError;

/// The kinds of file a chart accepts. Anything else (HTML, SVG, scripts,
/// archives) is refused whatever its name or declared type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Pdf,
    Png,
    Jpeg,
}

impl DocumentKind {
    /// Sniffs the first bytes.
    pub fn sniff(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.starts_with(b"%PDF-") {
            Ok(DocumentKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(DocumentKind::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Ok(DocumentKind::Jpeg)
        } else {
            Err(ParseError::new("Upload a PDF, PNG or JPEG file. This file is none of these."))
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Png => "image/png",
            DocumentKind::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Png => "png",
            DocumentKind::Jpeg => "jpg",
        }
    }
}

/// A display name from whatever the browser sent: no directories, no
/// control or bidirectional-override characters (`invoice` U+202E `fdp.exe`), at
/// most 120 characters, and the extension of the sniffed kind.
pub fn clean_file_name(raw: &str, kind: DocumentKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
        .collect();
    let name = cleaned.trim().trim_start_matches('.');
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem).trim();
    let stem: String = stem.chars().take(110).collect();
    let stem = if stem.is_empty() { "document".to_owned() } else { stem };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_content_not_names() {
        assert_eq!(DocumentKind::sniff(b"%PDF-1.7\n...").unwrap(), DocumentKind::Pdf);
        assert_eq!(DocumentKind::sniff(b"\x89PNG\r\n\x1a\n....").unwrap(), DocumentKind::Png);
        assert!(DocumentKind::sniff(b"<svg onload=alert(1)>").is_err());
        assert!(DocumentKind::sniff(b"<html><script>").is_err());
        assert!(DocumentKind::sniff(b"PK\x03\x04zip").is_err());
        assert!(DocumentKind::sniff(b"").is_err());
    }

    #[test]
    fn file_names_are_tamed() {
        assert_eq!(clean_file_name("../../etc/passwd", DocumentKind::Pdf), "passwd.pdf");
        assert_eq!(clean_file_name("C:\\scans\\lab.PDF", DocumentKind::Pdf), "lab.pdf");
        assert_eq!(clean_file_name("inv\u{202E}fdp.exe", DocumentKind::Pdf), "invfdp.pdf");
        assert_eq!(clean_file_name("a\0b.png", DocumentKind::Png), "ab.png");
        assert_eq!(clean_file_name("", DocumentKind::Jpeg), "document.jpg");
        assert_eq!(clean_file_name(".htaccess", DocumentKind::Pdf), "htaccess.pdf");
        assert!(clean_file_name(&"x".repeat(500), DocumentKind::Pdf).chars().count() <= 120);
    }
}
