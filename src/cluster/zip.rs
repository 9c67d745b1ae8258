//! A ZIP archive of small text files, stored (not compressed): the `context` of an AKS Run
//! Command (`RunCommandRequest.context`, a base64 ZIP), unpacked as the command pod's working
//! directory. Manifests are a few kilobytes, so compression would save nothing worth a crate.

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
/// 1980-01-01, the earliest DOS date (entries carry no meaningful time).
const DOS_DATE: u16 = 0x21;
/// Bit 11: names are UTF-8.
const UTF8_NAMES: u16 = 0x0800;

/// Why the files do not fit in a ZIP archive (no ZIP64: 4 GiB and 65 535 entries at most).
#[derive(Debug, thiserror::Error)]
#[error("the command's files do not fit in a ZIP archive: {0}")]
pub struct TooLarge(&'static str);

/// The archive of `files` (path, content), in the given order.
pub fn stored(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, TooLarge> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = u32::try_from(out.len()).map_err(|_| TooLarge("over 4 GiB"))?;
        let size = u32::try_from(data.len()).map_err(|_| TooLarge("a file over 4 GiB"))?;
        let name_len = u16::try_from(name.len()).map_err(|_| TooLarge("a path too long"))?;
        // version, flags, method (0: stored), time, date, CRC-32, sizes, name and extra lengths
        let mut header = Vec::with_capacity(26);
        header.extend_from_slice(&20u16.to_le_bytes());
        header.extend_from_slice(&UTF8_NAMES.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(&DOS_DATE.to_le_bytes());
        header.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        header.extend_from_slice(&size.to_le_bytes());
        header.extend_from_slice(&size.to_le_bytes());
        header.extend_from_slice(&name_len.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&LOCAL.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&CENTRAL.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&header);
        // comment length, disk, internal and external attributes
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(files.len()).map_err(|_| TooLarge("over 65 535 files"))?;
    let central_at = u32::try_from(out.len()).map_err(|_| TooLarge("over 4 GiB"))?;
    let central_len = u32::try_from(central.len()).map_err(|_| TooLarge("over 4 GiB"))?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&END.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_lists_each_file_with_its_crc() {
        let zip = stored(&[("m/a.json".into(), b"{}".to_vec())]).unwrap();
        assert_eq!(&zip[..4], &LOCAL.to_le_bytes());
        // CRC-32 of "{}" at the local header's offset 14.
        assert_eq!(&zip[14..18], &crc32fast::hash(b"{}").to_le_bytes());
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], &END.to_le_bytes());
        assert_eq!(u16::from_le_bytes([zip[end + 10], zip[end + 11]]), 1);
    }
}
