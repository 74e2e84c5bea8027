//! What travels from one version to the next with `--previous`: the
//! changes of every earlier version (`data/changes/<n>.json`) and every scan
//! ever published, so that a replaced scan is never lost.

use std::collections::BTreeSet;
use std::path::Path;

use super::Output;
use crate::diff::VersionChanges;
use crate::error::{Error, Result};

/// Copies the previous site's `data/changes/*.json` into the new one and
/// returns them, oldest first.
pub fn carry_changes(previous: &Path, out: &Output) -> Result<Vec<VersionChanges>> {
    let dir = previous.join("data/changes");
    let mut docs = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(docs);
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let bytes = crate::fsx::read(&path).map_err(|e| Error::io(&path, e))?;
        let doc: VersionChanges = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Other(format!("{}: not a kura changes file: {e}", path.display()))
        })?;
        if format!("{}.json", doc.seq) != name {
            return Err(Error::Other(format!(
                "{}: holds version {}",
                path.display(),
                doc.seq
            )));
        }
        out.write(&crate::paths::changes_data(doc.seq), &bytes)?;
        docs.push(doc);
    }
    docs.sort_by_key(|d| d.seq);
    Ok(docs)
}

/// Copies every scan of the previous site that the new one does not have.
/// Scans are content-addressed, so their names are checked against their bytes.
pub fn carry_scans(previous: &Path, out: &Output, have: &BTreeSet<String>) -> Result<usize> {
    let dir = previous.join("scans");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let dir = dir.canonicalize().map_err(|e| Error::io(&dir, e))?;
    let beneath = crate::fsx::Beneath::new(&dir);
    names.sort();
    let mut n = 0;
    for name in names {
        let rel = format!("scans/{name}");
        if have.contains(&rel) {
            continue;
        }
        let Some((sha, _ext)) = name.split_once('.') else {
            continue;
        };
        out.copy_scan(&rel, (&beneath, &dir.join(&name)), sha)?;
        n += 1;
    }
    Ok(n)
}
