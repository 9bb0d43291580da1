//! The shipped ICD-10-CM code list (public domain, see `data/README.md`):
//! decompressed and indexed once, on first use, then searched in memory by
//! code prefix or by words. No database table: the list is the same for
//! every clinic and changes once a year with a release.

use flate2::read::GzDecoder;
use std::{io::Read, sync::LazyLock};

static DATA: &[u8] = include_bytes!("../data/icd10cm-2026.tsv.gz");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// Dotted form, e.g. `E11.9`.
    pub code: &'static str,
    pub title: &'static str,
}

struct Entry {
    code: &'static str,
    /// The code without its dot, for prefix search (`E119`).
    compact: String,
    title: &'static str,
    /// Lower-cased title, for word search.
    lower: String,
}

static LIST: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    let mut text = String::new();
    // The data is compiled in: failing to read it is a build defect, and an
    // empty list (every search answers nothing) is the safe outcome.
    if GzDecoder::new(DATA).read_to_string(&mut text).is_err() {
        tracing::error!("the ICD-10-CM list could not be decompressed");
        return Vec::new();
    }
    let text: &'static str = Box::leak(text.into_boxed_str());
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(code, title)| Entry { code, compact: code.replace('.', ""), title, lower: title.to_lowercase() })
        .collect()
});

fn entry_code(e: &Entry) -> Code {
    Code { code: e.code, title: e.title }
}

/// How many codes the list holds.
pub fn len() -> usize {
    LIST.len()
}

/// The code's entry, if `code` (dotted form) is in the list.
pub fn lookup(code: &str) -> Option<Code> {
    LIST.iter().find(|e| e.code == code).map(entry_code)
}

/// Looks like the start of a code: a letter then a digit (`E1`, `e11.9`).
fn looks_like_code(q: &str) -> bool {
    let mut chars = q.chars();
    matches!((chars.next(), chars.next()), (Some(a), Some(b)) if a.is_ascii_alphabetic() && b.is_ascii_digit())
        && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
}

/// Codes matching `query`: by code prefix when it looks like a code, else
/// titles containing every word (shorter, more general codes first).
pub fn search(query: &str, limit: usize) -> Vec<Code> {
    let q = query.trim();
    if q.is_empty() {
        return Vec::new();
    }
    if looks_like_code(q) {
        let prefix: String = q.chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase();
        return LIST.iter().filter(|e| e.compact.starts_with(&prefix)).take(limit).map(entry_code).collect();
    }
    let words: Vec<String> = q.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<&Entry> = LIST.iter().filter(|e| words.iter().all(|w| e.lower.contains(w.as_str()))).collect();
    hits.sort_by_key(|e| (!e.lower.starts_with(words[0].as_str()), e.code.len(), e.title.len()));
    hits.into_iter().take(limit).map(entry_code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_loads_and_searches() {
        assert!(len() > 40_000);
        assert_eq!(lookup("E11.9").map(|c| c.title), Some("Type 2 diabetes mellitus without complications"));
        assert!(lookup("E11.999").is_none());
        let by_code = search("e11.6", 5);
        assert!(!by_code.is_empty() && by_code.iter().all(|c| c.code.starts_with("E11.6")));
        let by_words = search("type 2 diabetes", 10);
        assert!(by_words.iter().any(|c| c.code == "E11"), "{by_words:?}");
        assert!(search("xyzzyq", 5).is_empty());
        assert!(search("", 5).is_empty());
    }
}
