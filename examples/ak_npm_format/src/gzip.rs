//! A streaming gzip reader (RFC 1952) over miniz_oxide's inflate.
//!
//! A tarball is read once, front to back, through a 32 KiB window: the
//! unpacked archive is never held in memory, so a package of any unpacked
//! size fits the plugin's memory. The member's CRC-32 and length are checked
//! when its deflate stream ends.

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// The unpacked bytes of a gzip member, read in order.
pub struct Gunzip<'a> {
    /// The deflate stream and what follows it.
    input: &'a [u8],
    state: Box<InflateState>,
    crc: u32,
    len: u32,
    done: bool,
}

impl<'a> Gunzip<'a> {
    /// Reads the gzip header of `data`.
    pub fn new(data: &'a [u8]) -> Result<Self, String> {
        if data.len() < 2 || data[..2] != [0x1f, 0x8b] {
            return Err(
                "the file is not gzip-compressed (it does not start with the gzip magic bytes 1f 8b): an npm package is a .tgz, a gzipped tar archive"
                    .into(),
            );
        }
        let truncated = || "the gzip header is truncated".to_string();
        let header = data.get(..10).ok_or_else(truncated)?;
        if header[2] != 8 {
            return Err(format!(
                "the gzip header names compression method {}, but gzip has only deflate (8)",
                header[2]
            ));
        }
        let flags = header[3];
        if flags & !(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT) != 0 {
            return Err(format!(
                "the gzip header sets reserved flags ({flags:#04x}), which this reader does not know"
            ));
        }
        let mut rest = &data[10..];
        if flags & FEXTRA != 0 {
            let len = rest.get(..2).ok_or_else(truncated)?;
            let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
            rest = rest.get(2 + len..).ok_or_else(truncated)?;
        }
        for flag in [FNAME, FCOMMENT] {
            if flags & flag != 0 {
                let end = rest.iter().position(|&b| b == 0).ok_or_else(truncated)?;
                rest = &rest[end + 1..];
            }
        }
        if flags & FHCRC != 0 {
            rest = rest.get(2..).ok_or_else(truncated)?;
        }
        Ok(Gunzip {
            input: rest,
            state: InflateState::new_boxed(DataFormat::Raw),
            crc: 0,
            len: 0,
            done: false,
        })
    }

    /// Fills `buf` with the next unpacked bytes; returns fewer than
    /// `buf.len()` only at the end of the member, whose trailer it has then
    /// checked.
    pub fn fill(&mut self, buf: &mut [u8]) -> Result<usize, String> {
        let mut filled = 0;
        while filled < buf.len() && !self.done {
            let r = inflate(
                &mut self.state,
                self.input,
                &mut buf[filled..],
                MZFlush::None,
            );
            self.input = &self.input[r.bytes_consumed..];
            let out = &buf[filled..filled + r.bytes_written];
            self.crc = crc32_update(self.crc, out);
            self.len = self.len.wrapping_add(r.bytes_written as u32);
            filled += r.bytes_written;
            match r.status {
                Ok(MZStatus::StreamEnd) => self.finish()?,
                Ok(_) => {}
                Err(MZError::Buf) if self.input.is_empty() => {
                    return Err(
                        "the gzip data is truncated: the compressed stream ends before its last block"
                            .into(),
                    );
                }
                Err(_) => {
                    return Err("the gzip data is corrupt: its deflate stream is invalid".into());
                }
            }
        }
        Ok(filled)
    }

    /// Reads and drops the rest of the member, checking its trailer.
    pub fn drain(&mut self) -> Result<(), String> {
        let mut scratch = [0u8; 4096];
        while self.fill(&mut scratch)? == scratch.len() {}
        Ok(())
    }

    /// Checks the trailer: CRC-32 and length (mod 2³²) of the unpacked data.
    fn finish(&mut self) -> Result<(), String> {
        self.done = true;
        let trailer = self
            .input
            .get(..8)
            .ok_or("the gzip data is truncated: the trailer (CRC-32 and size) is missing")?;
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let len = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if crc != self.crc {
            return Err(format!(
                "the gzip data is corrupt: its CRC-32 is {:08x}, but the trailer says {crc:08x}",
                self.crc
            ));
        }
        if len != self.len {
            return Err(format!(
                "the gzip data is corrupt: it unpacks to {} bytes (mod 2^32), but the trailer says {len}",
                self.len
            ));
        }
        let extra = &self.input[8..];
        if extra.iter().any(|&b| b != 0) {
            return Err(format!(
                "the file has {} bytes after the end of its gzip stream",
                extra.len()
            ));
        }
        Ok(())
    }
}

/// The CRC-32 of gzip (IEEE 802.3, reflected, polynomial 0xedb88320), as
/// eight tables for slicing by 8 bytes: a quarter of the instructions of a
/// byte at a time, which matters under a fuel limit.
const CRC_TABLES: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// `crc` (of the bytes before) extended by `bytes`.
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut c = !crc;
    let mut chunks = bytes.chunks_exact(8);
    for ch in &mut chunks {
        let a = u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]) ^ c;
        let b = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
        c = t[7][(a & 0xff) as usize]
            ^ t[6][((a >> 8) & 0xff) as usize]
            ^ t[5][((a >> 16) & 0xff) as usize]
            ^ t[4][(a >> 24) as usize]
            ^ t[3][(b & 0xff) as usize]
            ^ t[2][((b >> 8) & 0xff) as usize]
            ^ t[1][((b >> 16) & 0xff) as usize]
            ^ t[0][(b >> 24) as usize];
    }
    for &b in chunks.remainder() {
        c = t[0][((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::gzip;

    fn gunzip(data: &[u8]) -> Result<Vec<u8>, String> {
        let mut z = Gunzip::new(data)?;
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = z.fill(&mut buf)?;
            out.extend_from_slice(&buf[..n]);
            if n < buf.len() {
                return Ok(out);
            }
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32_update(0, b"123456789"), 0xcbf4_3926);
        assert_eq!(
            crc32_update(crc32_update(0, b"1234"), b"56789"),
            0xcbf4_3926
        );
        assert_eq!(crc32_update(0, b""), 0);
        // Slicing by 8 agrees with a byte at a time at every length and split.
        let data: Vec<u8> = (0..100u32).map(|i| (i * 37 % 256) as u8).collect();
        let bytewise = |crc: u32, bytes: &[u8]| {
            let mut c = !crc;
            for &b in bytes {
                c = CRC_TABLES[0][((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
            }
            !c
        };
        for len in 0..data.len() {
            for split in [0, len / 3, len] {
                let (a, b) = data[..len].split_at(split);
                assert_eq!(
                    crc32_update(crc32_update(0, a), b),
                    bytewise(0, &data[..len]),
                    "{len} {split}"
                );
            }
        }
    }

    #[test]
    fn it_round_trips_small_and_large_data() {
        for data in [
            Vec::new(),
            b"hello".to_vec(),
            (0..300_000u32).map(|i| (i % 251) as u8).collect(),
        ] {
            assert_eq!(gunzip(&gzip(&data)).unwrap(), data);
        }
    }

    #[test]
    fn it_skips_the_optional_header_fields() {
        let plain = gzip(b"payload");
        let mut data = plain[..10].to_vec();
        data[3] = FEXTRA | FNAME | FCOMMENT | FHCRC;
        data.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        data.extend_from_slice(b"pkg.tar\0");
        data.extend_from_slice(b"a comment\0");
        data.extend_from_slice(&[0xaa, 0xbb]);
        data.extend_from_slice(&plain[10..]);
        assert_eq!(gunzip(&data).unwrap(), b"payload");
    }

    #[test]
    fn it_refuses_what_is_not_gzip() {
        let e = gunzip(b"PK\x03\x04 a zip file").unwrap_err();
        assert!(e.contains("not gzip-compressed"), "{e}");
        assert!(gunzip(b"").unwrap_err().contains("not gzip-compressed"));
        let mut data = gzip(b"x");
        data[2] = 7;
        assert!(gunzip(&data).unwrap_err().contains("compression method 7"));
        let mut data = gzip(b"x");
        data[3] = 0x20;
        assert!(gunzip(&data).unwrap_err().contains("reserved flags"));
        let mut data = gzip(b"x")[..10].to_vec();
        data[3] = FNAME;
        data.extend_from_slice(b"no terminator");
        assert!(gunzip(&data).unwrap_err().contains("header is truncated"));
        assert!(
            gunzip(&[0x1f, 0x8b, 8])
                .unwrap_err()
                .contains("header is truncated")
        );
    }

    #[test]
    fn it_detects_truncation_and_corruption() {
        let data = gzip(
            &(0..50_000u32)
                .map(|i| (i * 7 % 256) as u8)
                .collect::<Vec<_>>(),
        );
        let e = gunzip(&data[..data.len() / 2]).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = gunzip(&data[..data.len() - 4]).unwrap_err();
        assert!(e.contains("trailer (CRC-32 and size) is missing"), "{e}");

        let mut bad_crc = data.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert!(gunzip(&bad_crc).unwrap_err().contains("CRC-32"));
        let mut bad_len = data.clone();
        bad_len[n - 4] ^= 1;
        assert!(
            gunzip(&bad_len)
                .unwrap_err()
                .contains("unpacks to 50000 bytes")
        );

        // A block type of 3 is reserved: invalid deflate data.
        let mut bad = data[..10].to_vec();
        bad.extend_from_slice(&[0xff; 32]);
        let e = gunzip(&bad).unwrap_err();
        assert!(e.contains("corrupt"), "{e}");
    }

    #[test]
    fn it_allows_zero_padding_but_not_other_trailing_data() {
        let mut data = gzip(b"abc");
        data.extend_from_slice(&[0; 512]);
        assert_eq!(gunzip(&data).unwrap(), b"abc");
        data.push(1);
        let e = gunzip(&data).unwrap_err();
        assert!(e.contains("513 bytes after the end"), "{e}");
    }
}
