//! Tarballs built in memory for the tests: a small tar writer (ustar, pax
//! and GNU long names) and gzip over miniz_oxide's deflate.

#![cfg_attr(not(test), allow(dead_code))]

use crate::gzip::crc32_update;

/// How an entry's name is written when it is longer than 100 bytes.
#[derive(Clone, Copy, PartialEq)]
enum LongName {
    Refuse,
    UstarPrefix,
    Pax,
    Gnu,
}

/// One entry of a tar archive.
#[derive(Clone)]
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    kind: u8,
    size: Option<u64>,
    long: LongName,
}

impl Entry {
    /// A regular file.
    pub fn file(name: &str, data: &[u8]) -> Self {
        Entry {
            name: name.into(),
            data: data.to_vec(),
            kind: b'0',
            size: None,
            long: LongName::Refuse,
        }
    }

    /// A directory.
    pub fn dir(name: &str) -> Self {
        Entry {
            kind: b'5',
            ..Entry::file(name, b"")
        }
    }

    /// The name split into ustar's prefix and name fields.
    pub fn ustar_prefix(self) -> Self {
        Entry {
            long: LongName::UstarPrefix,
            ..self
        }
    }

    /// The name in a pax extended header before the entry.
    pub fn pax_path(self) -> Self {
        Entry {
            long: LongName::Pax,
            ..self
        }
    }

    /// The name in a GNU `././@LongLink` entry before the entry.
    pub fn gnu_long_name(self) -> Self {
        Entry {
            long: LongName::Gnu,
            ..self
        }
    }

    /// Another size in the header than the data's.
    pub fn with_size(self, size: u64) -> Self {
        Entry {
            size: Some(size),
            ..self
        }
    }

    /// Another type flag.
    pub fn with_type(self, kind: u8) -> Self {
        Entry { kind, ..self }
    }
}

fn header(name: &[u8], prefix: &[u8], size: u64, kind: u8, gnu: bool) -> [u8; 512] {
    assert!(name.len() <= 100 && prefix.len() <= 155, "name too long");
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"14614465600\0");
    h[156] = kind;
    if gnu {
        h[257..265].copy_from_slice(b"ustar  \0");
    } else {
        h[257..265].copy_from_slice(b"ustar\x0000");
    }
    h[345..345 + prefix.len()].copy_from_slice(prefix);
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn push(out: &mut Vec<u8>, h: [u8; 512], data: &[u8]) {
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// A tar archive of `entries`, ended by two zero blocks.
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let name = e.name.as_bytes();
        let size = e.size.unwrap_or(e.data.len() as u64);
        let short = &name[..name.len().min(100)];
        match e.long {
            LongName::Refuse => push(&mut out, header(name, b"", size, e.kind, false), &e.data),
            LongName::UstarPrefix => {
                let split = name[..name.len() - 1]
                    .iter()
                    .rposition(|&b| b == b'/')
                    .filter(|&i| name.len() - i - 1 <= 100)
                    .expect("a `/` within the last 100 bytes");
                let h = header(&name[split + 1..], &name[..split], size, e.kind, false);
                push(&mut out, h, &e.data);
            }
            LongName::Pax => {
                let body = format!("path={}\n", e.name);
                // The length counts itself.
                let mut len = body.len() + 2;
                while format!("{len} {body}").len() != len {
                    len += 1;
                }
                let record = format!("{len} {body}");
                let h = header(b"PaxHeader/entry", b"", record.len() as u64, b'x', false);
                push(&mut out, h, record.as_bytes());
                push(&mut out, header(short, b"", size, e.kind, false), &e.data);
            }
            LongName::Gnu => {
                let mut long = name.to_vec();
                long.push(0);
                let h = header(b"././@LongLink", b"", long.len() as u64, b'L', true);
                push(&mut out, h, &long);
                push(&mut out, header(short, b"", size, e.kind, true), &e.data);
            }
        }
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

/// `data` as a gzip member (no optional header fields).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, 6));
    out.extend_from_slice(&crc32_update(0, data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// An npm package tarball, as `npm pack` lays it out: `package/` and the
/// given `package.json`, with a README and an entry point.
pub fn npm_tarball(package_json: &str) -> Vec<u8> {
    gzip(&tar(&[
        Entry::file("package/package.json", package_json.as_bytes()),
        Entry::file("package/README.md", b"# A package\n"),
        Entry::file("package/index.js", b"module.exports = 42;\n"),
    ]))
}

/// [`npm_tarball`] of a package.json with `name` and `version`.
pub fn package(name: &str, version: &str) -> Vec<u8> {
    npm_tarball(&format!(
        r#"{{"name": "{name}", "version": "{version}", "main": "index.js"}}"#
    ))
}
