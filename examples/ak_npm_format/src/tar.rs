//! A reader of tar archives (POSIX ustar, with pax and GNU long names), as
//! `npm pack` writes them: 512-byte headers, sizes in octal, contents padded
//! to 512 bytes, two zero blocks at the end.

use crate::gzip::Gunzip;

const BLOCK: usize = 512;
/// The largest file it hands back (a `package.json`) and the largest pax or
/// GNU long-name header it reads.
pub const MAX_FILE: u64 = 8 << 20;

/// Reads the whole gzipped archive in `tgz` and returns the contents of the
/// regular file at `wanted` (`./` in front of names is ignored; the last of
/// several entries of one name wins, as extraction would leave it).
pub fn find_file(tgz: &[u8], wanted: &str) -> Result<Option<Vec<u8>>, String> {
    let mut z = Gunzip::new(tgz)?;
    let mut found = None;
    // Overrides of the next entry's name or size, from pax or GNU headers.
    let (mut long_name, mut long_size): (Option<String>, Option<u64>) = (None, None);
    let mut header = [0u8; BLOCK];
    loop {
        match z.fill(&mut header)? {
            0 => {
                return Err(
                    "the tar archive is truncated: it ends without its end-of-archive blocks"
                        .into(),
                );
            }
            BLOCK => {}
            n => {
                return Err(format!(
                    "the tar archive is truncated: its last header has {n} of 512 bytes"
                ));
            }
        }
        if header.iter().all(|&b| b == 0) {
            break;
        }
        check_checksum(&header)?;
        let mut name = match long_name.take() {
            Some(name) => name,
            None => header_name(&header),
        };
        let size = match long_size.take() {
            Some(size) => size,
            None => number(&header[124..136])
                .ok_or_else(|| format!("the tar header of `{name}` has an invalid size field"))?,
        };
        if let Some(stripped) = name.strip_prefix("./") {
            name = stripped.to_string();
        }
        match header[156] {
            // A pax extended header, or a GNU long name, for the next entry.
            b'x' | b'L' => {
                let data = read(&mut z, size, &name)?;
                if header[156] == b'L' {
                    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                    long_name = Some(String::from_utf8_lossy(&data[..end]).into_owned());
                } else {
                    (long_name, long_size) = pax(&data, &name)?;
                }
            }
            b'0' | b'\0' | b'7' if name == wanted => found = Some(read(&mut z, size, &name)?),
            _ => skip(&mut z, size, &name)?,
        }
    }
    // What follows the end-of-archive blocks is padding; reading it checks
    // the gzip trailer.
    z.drain()?;
    Ok(found)
}

/// The entry's name: ustar's prefix, `/` and name, else the name alone.
fn header_name(h: &[u8; BLOCK]) -> String {
    let field = |f: &[u8]| {
        let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
        String::from_utf8_lossy(&f[..end]).into_owned()
    };
    let name = field(&h[..100]);
    // POSIX ustar (`ustar\0`) has a prefix; GNU tar (`ustar  `) uses the
    // space for other things.
    if &h[257..263] == b"ustar\0" && h[345] != 0 {
        format!("{}/{name}", field(&h[345..500]))
    } else {
        name
    }
}

/// A numeric field: octal digits padded by spaces or NULs, or GNU's base-256
/// (high bit set) for large values.
fn number(f: &[u8]) -> Option<u64> {
    if f.first().is_some_and(|&b| b & 0x80 != 0) {
        return f[1..].iter().try_fold(u64::from(f[0] & 0x3f), |n, &b| {
            n.checked_mul(256).map(|n| n | u64::from(b))
        });
    }
    let digits = std::str::from_utf8(f).ok()?.trim_matches([' ', '\0']);
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// The header's checksum: the sum of its bytes with the checksum field read
/// as spaces (unsigned, or signed as some old tars wrote it).
fn check_checksum(h: &[u8; BLOCK]) -> Result<(), String> {
    let stored = number(&h[148..156]);
    let field = 148..156;
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in h.iter().enumerate() {
        let b = if field.contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    if stored == Some(unsigned) || stored.is_some_and(|s| s as i64 == signed) {
        Ok(())
    } else {
        Err(format!(
            "the tar archive is corrupt: the header of `{}` fails its checksum",
            header_name(h)
        ))
    }
}

/// The `path` and `size` records of a pax header (`<len> <key>=<value>\n`).
fn pax(data: &[u8], name: &str) -> Result<(Option<String>, Option<u64>), String> {
    let bad = || format!("the tar archive is corrupt: the pax header `{name}` is malformed");
    let (mut path, mut size) = (None, None);
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest.iter().position(|&b| b == b' ').ok_or_else(bad)?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|l| l.parse().ok())
            .filter(|&l| l > space && l <= rest.len())
            .ok_or_else(bad)?;
        let record = rest[space + 1..len].strip_suffix(b"\n").ok_or_else(bad)?;
        let eq = record.iter().position(|&b| b == b'=').ok_or_else(bad)?;
        let value = String::from_utf8_lossy(&record[eq + 1..]).into_owned();
        match &record[..eq] {
            b"path" => path = Some(value),
            b"size" => size = Some(value.parse().map_err(|_| bad())?),
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok((path, size))
}

/// The bytes an entry's contents take, padding included.
fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64) * BLOCK as u64
}

fn truncated(name: &str, size: u64) -> String {
    format!("the tar archive is truncated: the entry `{name}` should have {size} bytes")
}

/// An entry's contents (at most [`MAX_FILE`] bytes), past its padding.
fn read(z: &mut Gunzip<'_>, size: u64, name: &str) -> Result<Vec<u8>, String> {
    if size > MAX_FILE {
        return Err(format!(
            "`{name}` is {size} bytes; this handler reads at most {MAX_FILE} bytes of it"
        ));
    }
    let mut data = vec![0; padded(size) as usize];
    if z.fill(&mut data)? < data.len() {
        return Err(truncated(name, size));
    }
    data.truncate(size as usize);
    Ok(data)
}

/// Skips an entry's contents and padding.
fn skip(z: &mut Gunzip<'_>, size: u64, name: &str) -> Result<(), String> {
    let mut left = padded(size);
    let mut scratch = [0u8; 4096];
    while left > 0 {
        let want = left.min(scratch.len() as u64) as usize;
        if z.fill(&mut scratch[..want])? < want {
            return Err(truncated(name, size));
        }
        left -= want as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Entry, gzip, tar};

    fn find(entries: &[Entry], wanted: &str) -> Result<Option<Vec<u8>>, String> {
        find_file(&gzip(&tar(entries)), wanted)
    }

    #[test]
    fn it_finds_a_file_among_others() {
        let entries = [
            Entry::dir("package/"),
            Entry::file("package/README.md", &[b'r'; 1500]),
            Entry::file("package/package.json", b"{}"),
            Entry::file("package/index.js", b""),
        ];
        assert_eq!(
            find(&entries, "package/package.json").unwrap().unwrap(),
            b"{}"
        );
        assert_eq!(
            find(&entries, "package/README.md").unwrap().unwrap(),
            vec![b'r'; 1500]
        );
        assert_eq!(find(&entries, "package/missing").unwrap(), None);
        // A directory is not a file of that name.
        assert_eq!(find(&entries, "package/").unwrap(), None);
    }

    #[test]
    fn it_reads_long_names_in_every_spelling() {
        let deep = format!("package/{}/package.json", "d".repeat(120));
        for entry in [
            Entry::file(&deep, b"ustar").ustar_prefix(),
            Entry::file(&deep, b"pax").pax_path(),
            Entry::file(&deep, b"gnu").gnu_long_name(),
        ] {
            let expected = entry.data.clone();
            assert_eq!(find(&[entry], &deep).unwrap().unwrap(), expected);
        }
        assert_eq!(
            find(
                &[Entry::file("./package/package.json", b"1")],
                "package/package.json"
            )
            .unwrap()
            .unwrap(),
            b"1"
        );
        // The last entry of a name wins.
        let twice = [Entry::file("a", b"first"), Entry::file("a", b"second")];
        assert_eq!(find(&twice, "a").unwrap().unwrap(), b"second");
    }

    #[test]
    fn it_reads_the_pax_header_npm_writes_for_a_long_path() {
        let deep = format!(
            "package/lib/{}/{}/deep.js",
            "deeply-nested-directory-".repeat(6),
            "another-long-directory-name-".repeat(5)
        );
        assert_eq!(deep.len(), "package/".len() + 297);
        assert_eq!(
            find_file(crate::NPM_PACKED, &deep).unwrap().unwrap(),
            b"module.exports = 1;\n"
        );
        let manifest = find_file(crate::NPM_PACKED, "package/package.json")
            .unwrap()
            .unwrap();
        assert!(manifest.starts_with(b"{\n  \"name\": \"@acme/left-pad\""));
    }

    #[test]
    fn it_reads_octal_and_base_256_numbers() {
        assert_eq!(number(b"0000644\0"), Some(0o644));
        assert_eq!(number(b"   12 \0"), Some(10));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(number(b"\x80\0\0\0\0\0\x01\0"), Some(256));
        assert_eq!(number(b"0008\0"), None);
        assert_eq!(number(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), None);
    }

    #[test]
    fn it_detects_a_truncated_archive() {
        let full = tar(&[Entry::file("package/package.json", &[b'x'; 700])]);
        // Cut inside the contents, inside a header, and before the end blocks.
        let e = find_file(&gzip(&full[..1000]), "x").unwrap_err();
        assert!(
            e.contains("`package/package.json` should have 700 bytes"),
            "{e}"
        );
        let e = find_file(&gzip(&full[..300]), "x").unwrap_err();
        assert!(e.contains("its last header has 300 of 512 bytes"), "{e}");
        let e = find_file(&gzip(&full[..1536]), "x").unwrap_err();
        assert!(e.contains("without its end-of-archive blocks"), "{e}");
        let e = find_file(&gzip(b""), "x").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn it_detects_a_corrupt_header() {
        let mut archive = tar(&[Entry::file("package/package.json", b"{}")]);
        archive[0] = b'P';
        let e = find_file(&gzip(&archive), "x").unwrap_err();
        assert!(
            e.contains("the header of `Package/package.json` fails its checksum"),
            "{e}"
        );
        let mut archive = tar(&[Entry::file("f", b"{}")]);
        archive[124..136].copy_from_slice(b"zzzzzzzzzzz\0");
        // Keep the checksum right, so that the size field is what fails.
        archive[148..156].copy_from_slice(b"        ");
        let sum: u32 = archive[..512].iter().map(|&b| u32::from(b)).sum();
        archive[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let e = find_file(&gzip(&archive), "x").unwrap_err();
        assert!(e.contains("`f` has an invalid size field"), "{e}");
    }

    #[test]
    fn it_refuses_an_oversized_file_and_a_malformed_pax_header() {
        let big = Entry::file("package/package.json", b"").with_size(MAX_FILE + 1);
        let e = find_file(&gzip(&tar(&[big])), "package/package.json").unwrap_err();
        assert!(e.contains("reads at most"), "{e}");
        let pax = Entry::file("PaxHeader/x", b"99 path=x\n").with_type(b'x');
        let e = find_file(&gzip(&tar(&[pax])), "x").unwrap_err();
        assert!(e.contains("pax header `PaxHeader/x` is malformed"), "{e}");
    }
}
