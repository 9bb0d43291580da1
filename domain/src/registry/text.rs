//! Search keys for names, phones and identifiers, and the distance used to
//! rank typo-tolerant matches. Computed here, once, for both databases: the
//! keys are stored in indexed columns, so a search is an index lookup on
//! either backend and never a function applied to every row.

/// ASCII spellings of U+00C0..=U+017F (Latin-1 Supplement and Latin
/// Extended-A), lower case; "" for the two signs in that range (× ÷).
/// Generated from Unicode's decompositions, with the letters that have
/// none spelled out by hand (ß → ss, ø → o, ł → l, þ → th, …).
const LATIN_FOLD: [&str; 192] = ["a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y", "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"];

/// Lower-case ASCII letters and digits of `text`, accents folded, every
/// other character dropped: "Sílva-D'Souza" → "silvadsouza". Letters
/// outside Latin (Greek, Cyrillic, CJK) are kept as they are, lower-cased,
/// so such names still match themselves exactly.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if ('\u{C0}'..='\u{17F}').contains(&c) {
            out.push_str(LATIN_FOLD[c as usize - 0xC0]);
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The words of `text`, each folded; empty words dropped.
pub fn folded_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '-' | ',' | ';' | '/'))
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect()
}

/// An American Soundex code of a folded name ("" when it has no ASCII
/// letter): the first letter, then up to three digits for the consonant
/// sounds that follow. Vowels are dropped, so "Slva" and "Silva" share
/// S410; "Okafro" and "Okafor" share O216.
pub fn phonetic(text: &str) -> String {
    let folded = fold(text);
    let mut letters = folded.chars().filter(char::is_ascii_lowercase);
    let Some(first) = letters.next() else { return String::new() };
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => '1',
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
        'd' | 't' => '3',
        'l' => '4',
        'm' | 'n' => '5',
        'r' => '6',
        // 'h' and 'w' do not separate equal codes; vowels do.
        'h' | 'w' => '-',
        _ => '0',
    };
    let mut out = String::with_capacity(4);
    out.push(first.to_ascii_uppercase());
    let mut last = code(first);
    for c in letters {
        let digit = code(c);
        match digit {
            '-' => continue,
            '0' => last = '0',
            d if d != last => {
                out.push(d);
                last = d;
                if out.len() == 4 {
                    break;
                }
            }
            _ => {}
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

/// Optimal string alignment distance: insertions, deletions,
/// substitutions and swaps of two neighbours each cost 1 ("Okafro" is one
/// swap from "Okafor"). Over chars, not bytes.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return n.max(m);
    }
    // Three rows: two back (for swaps), one back, current.
    let mut two_back = vec![0usize; m + 1];
    let mut one_back: Vec<usize> = (0..=m).collect();
    let mut current = vec![0usize; m + 1];
    for i in 1..=n {
        current[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (one_back[j] + 1).min(current[j - 1] + 1).min(one_back[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(two_back[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut two_back, &mut one_back);
        std::mem::swap(&mut one_back, &mut current);
    }
    one_back[m]
}

/// How many typos a search word of this length may carry and still match.
pub fn typo_allowance(word: &str) -> usize {
    match word.chars().count() {
        0..=2 => 0,
        3..=4 => 1,
        _ => 2,
    }
}

/// How far the search word `word` is from the name key `key`: the edit
/// distance to the whole key or to a prefix of it (typing "silv" or "slv"
/// finds "silva"), or `None` when it is beyond the word's allowance.
pub fn match_cost(word: &str, key: &str) -> Option<usize> {
    if word.is_empty() || key.is_empty() {
        return None;
    }
    if key.starts_with(word) {
        return Some(0);
    }
    let allowance = typo_allowance(word);
    if allowance == 0 {
        return None;
    }
    let len = word.chars().count();
    let mut best = edit_distance(word, key);
    // Prefixes one shorter and one longer than the word: a typo may have
    // dropped or doubled a letter.
    for prefix_len in [len.saturating_sub(1), len, len + 1] {
        if prefix_len == 0 {
            continue;
        }
        let prefix: String = key.chars().take(prefix_len).collect();
        best = best.min(edit_distance(word, &prefix));
    }
    (best <= allowance).then_some(best)
}

/// The digits of a phone number, reversed: "+351 91 234 5678" →
/// "87654321915 3" without the space. A search for the local part of a
/// number (without country code) is then a prefix search.
pub fn phone_key(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).rev().collect()
}

/// An identifier (MRN, national id, insurance number) as compared:
/// upper case, letters and digits only ("ab-12 34" → "AB1234").
pub fn identifier_key(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// The exclusive upper bound of a prefix range over keys made of ASCII
/// letters, digits and upper-case letters: `key >= prefix AND key < bound`
/// uses a plain B-tree index on both databases (no LIKE, no collation
/// surprises).
pub fn prefix_bound(prefix: &str) -> String {
    format!("{prefix}\u{7f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_accents_case_and_punctuation() {
        assert_eq!(fold("Sílva-D'Souza"), "silvadsouza");
        assert_eq!(fold("Çağlar Øster Łukasz"), "caglarosterlukasz");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("<img src=x>"), "imgsrcx");
        assert_eq!(fold("Ελένη"), "ελένη");
        assert_eq!(folded_words(" Maria  da-Silva "), vec!["maria", "da", "silva"]);
    }

    #[test]
    fn phonetic_keys_survive_dropped_and_swapped_letters() {
        assert_eq!(phonetic("Silva"), "S410");
        assert_eq!(phonetic("Slva"), "S410");
        assert_eq!(phonetic("Okafor"), "O216");
        assert_eq!(phonetic("Okafro"), "O216");
        assert_eq!(phonetic("Robert"), "R163");
        assert_eq!(phonetic("Rupert"), "R163");
        assert_eq!(phonetic("Ashcraft"), "A261");
        assert_eq!(phonetic("Tymczak"), "T522");
        assert_eq!(phonetic("Pfister"), "P236");
        assert_eq!(phonetic("Müller"), phonetic("Muller"));
        assert_eq!(phonetic("---"), "");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("okafro", "okafor"), 1);
        assert_eq!(edit_distance("slva", "silva"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("ca", "abc"), 3);
    }

    #[test]
    fn match_cost_accepts_prefixes_and_small_typos_only() {
        assert_eq!(match_cost("sil", "silva"), Some(0));
        assert_eq!(match_cost("slva", "silva"), Some(1));
        assert_eq!(match_cost("okafro", "okafor"), Some(1));
        assert_eq!(match_cost("slv", "silva"), Some(1));
        assert_eq!(match_cost("costa", "silva"), None);
        assert_eq!(match_cost("xy", "silva"), None);
        assert_eq!(match_cost("", "silva"), None);
    }

    #[test]
    fn phone_and_identifier_keys() {
        assert_eq!(phone_key("+351 91 234-5678"), "87654321915 3".replace(' ', ""));
        assert!(phone_key("+351 91 234 5678").starts_with(&phone_key("912345678")));
        assert_eq!(identifier_key(" ab-12 34 "), "AB1234");
        assert!(prefix_bound("sil").as_str() > "silzzz");
    }
}
