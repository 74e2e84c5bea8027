//! The static search index: polling stations by the words of their names
//! and by their codes, split into small pieces (`search/w-<first three
//! letters>.js`, `search/c-<first five characters of a code>.js`) so that a
//! phone loads only the piece a query needs, never every station at once.
//! Pieces are scripts, not JSON, so that they load from `file://` too.
//! Made from the areas alone (the [context](crate::site::basis)), the
//! index is kept whole by a rebuild in which only forms changed.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Election;

/// Letters of a word that name its piece.
pub const WORD_KEY: usize = 3;
/// Characters of a code that name its piece.
pub const CODE_KEY: usize = 5;
/// Most pieces one station's name is filed under (its first distinct
/// words). Each piece carries the whole name, so without a bound a name of
/// n distinct words would add n copies of itself: quadratic growth, which
/// one hostile name of a few thousand words turned into tens of megabytes.
pub const MAX_WORDS: usize = 12;

/// Lower case, accents folded, anything but letters and digits a space.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
            'ý' | 'ÿ' => 'y',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        out.push(folded);
    }
    out
}

fn word_key(word: &str) -> String {
    word.chars().take(WORD_KEY).collect()
}

fn code_key(code: &str) -> String {
    code.to_ascii_lowercase().chars().take(CODE_KEY).collect()
}

/// The distinct words (two letters or more) of a station's name that it is
/// filed under: at most [`MAX_WORDS`], in the order of a sorted set.
fn name_words(name: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for w in normalize(name)
        .split_whitespace()
        .filter(|w| w.chars().count() >= 2)
    {
        if set.len() == MAX_WORDS {
            break;
        }
        set.insert(w.to_string());
    }
    set
}

/// Makes the files of the index and hands each to `emit` (site-relative
/// path, bytes) as soon as it is made, so that no more than one piece is
/// held at a time: at a million stations the pieces together are hundreds
/// of megabytes. The words of a name are found again rather than kept from
/// one pass to the next, for the same reason.
pub fn index<E>(
    el: &Election,
    mut emit: impl FnMut(&str, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let stations: Vec<usize> = (0..el.areas.len())
        .filter(|&a| el.areas[a].is_station())
        .collect();
    // Words in very many names ("primary", "school", "stream") would make
    // pieces as big as the whole index; they are not keys, only filters.
    let mut frequency: BTreeMap<String, usize> = BTreeMap::new();
    for &a in &stations {
        for w in name_words(&el.areas[a].name) {
            *frequency.entry(w).or_default() += 1;
        }
    }
    let limit = (stations.len() / 50).max(1000);
    let stop: BTreeSet<String> = frequency
        .into_iter()
        .filter(|(_, n)| *n > limit)
        .map(|(w, _)| w)
        .collect();
    // Each piece's stations, by their place in `stations` (four bytes each).
    let mut pieces: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (i, &a) in stations.iter().enumerate() {
        let keys: BTreeSet<String> = name_words(&el.areas[a].name)
            .iter()
            .filter(|w| !stop.contains(w.as_str()))
            .map(|w| format!("w-{}", word_key(w)))
            .chain(std::iter::once(format!(
                "c-{}",
                code_key(&el.areas[a].code)
            )))
            .collect();
        for k in keys {
            pieces.entry(k).or_default().push(i as u32);
        }
    }
    let entry = |i: u32| {
        let a = stations[i as usize];
        let area = &el.areas[a];
        let context: Vec<&str> = el
            .ancestors(a)
            .skip(1)
            .take(2)
            .filter(|&p| el.areas[p].parent.is_some())
            .map(|p| el.areas[p].name.as_str())
            .collect();
        serde_json::json!([
            area.name,
            crate::paths::area(el, a),
            context.join(", "),
            area.code
        ])
    };
    for (key, members) in pieces {
        let list: Vec<serde_json::Value> = members.into_iter().map(entry).collect();
        let body = format!(
            "kuraSearch({},{});\n",
            serde_json::Value::String(key.clone()),
            serde_json::Value::Array(list)
        );
        emit(&format!("search/{key}.js"), body.as_bytes())?;
    }
    let meta = serde_json::json!({
        "wordKey": WORD_KEY,
        "codeKey": CODE_KEY,
        "stop": stop.iter().collect::<Vec<_>>(),
    });
    emit(
        "search/meta.js",
        format!("kuraSearchMeta({meta});\n").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folded() {
        assert_eq!(
            normalize("St. Mary's CAFÉ (stream 2)"),
            "st  mary s cafe  stream 2 "
        );
        assert_eq!(word_key("kinyago"), "kin");
        assert_eq!(code_key("001001000100105"), "00100");
    }
}
