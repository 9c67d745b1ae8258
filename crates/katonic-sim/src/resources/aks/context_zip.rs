//! The `context` of a Run Command request: a base64 ZIP archive of the files the command uses,
//! unpacked as the command pod's working directory. Stored and deflated entries are read (what
//! `az aks command invoke --file` and the console send); anything else is refused.

use std::collections::BTreeMap;
use std::io::Read;

/// Unpacked files over this size in total are refused (a small archive may inflate hugely).
const UNPACKED_LIMIT: usize = 64 * 1024 * 1024;

const EOCD: u32 = 0x0605_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2)
        .map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn usize_at(b: &[u8], at: usize) -> Option<usize> {
    u32_at(b, at).and_then(|v| usize::try_from(v).ok())
}

/// The files of a ZIP archive by path (directories left out), or why it is not one.
pub(crate) fn unpack(zip: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let end = (0..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(zip, i) == Some(EOCD))
        .ok_or("it is not a ZIP archive (no end of central directory)")?;
    let entries = u16_at(zip, end + 10).ok_or("truncated archive")?;
    let mut at = usize_at(zip, end + 16).ok_or("truncated archive")?;
    let mut files = BTreeMap::new();
    let mut total = 0usize;
    for _ in 0..entries {
        if u32_at(zip, at) != Some(CENTRAL) {
            return Err("its central directory is damaged".into());
        }
        let field = |o| u16_at(zip, at + o).ok_or("truncated archive");
        let method = field(10)?;
        let crc = u32_at(zip, at + 16).ok_or("truncated archive")?;
        let packed = usize_at(zip, at + 20).ok_or("truncated archive")?;
        let size = usize_at(zip, at + 24).ok_or("truncated archive")?;
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local = usize_at(zip, at + 42).ok_or("truncated archive")?;
        let name = zip
            .get(at + 46..at + 46 + name_len)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .ok_or("truncated archive")?;
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') {
            continue;
        }
        total = total.saturating_add(size);
        if total > UNPACKED_LIMIT {
            return Err(format!("it unpacks to more than {UNPACKED_LIMIT} bytes"));
        }
        let data = entry(zip, local, method, packed, size).map_err(|e| format!("{name}: {e}"))?;
        if crc32fast::hash(&data) != crc {
            return Err(format!("{name}: CRC mismatch"));
        }
        files.insert(name.trim_start_matches("./").to_string(), data);
    }
    Ok(files)
}

fn entry(
    zip: &[u8],
    local: usize,
    method: usize,
    packed: usize,
    size: usize,
) -> Result<Vec<u8>, String> {
    if u32_at(zip, local) != Some(LOCAL) {
        return Err("local header missing".into());
    }
    let start = local
        + 30
        + u16_at(zip, local + 26).ok_or("truncated")?
        + u16_at(zip, local + 28).ok_or("truncated")?;
    let raw = zip.get(start..start + packed).ok_or("truncated data")?;
    match method {
        0 => Ok(raw.to_vec()),
        8 => {
            let mut out = Vec::with_capacity(size);
            flate2::read::DeflateDecoder::new(raw)
                .take(u64::try_from(size).unwrap_or(u64::MAX))
                .read_to_end(&mut out)
                .map_err(|e| format!("cannot inflate: {e}"))?;
            Ok(out)
        }
        other => Err(format!("compression method {other} is not supported")),
    }
}
