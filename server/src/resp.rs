//! Requests as clients send them, parsed in place.
//!
//! A request is a RESP array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`),
//! or an inline line (`GET k\r\n`) as `telnet` sends one. An array request
//! is parsed without copying: its arguments are positions in the read
//! buffer, and the command runs on slices of it. Declared lengths are checked
//! against the caps as soon as their headers arrive, so a client announcing a
//! 4 GB bulk string is refused before the server holds any of it.

/// The longest inline command line accepted (as Redis: 64 KiB).
pub const MAX_INLINE: usize = 64 * 1024;

/// The limits a request is parsed under.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// The longest bulk string.
    pub max_bulk: usize,
    /// The most arguments.
    pub max_args: usize,
}

/// Parses the array request at the start of `buf` (which starts with `*`),
/// putting where each argument lies into `args`. `Ok(Some(n))`: a complete
/// request of `n` bytes; `Ok(None)`: not all there yet; `Err`: a protocol
/// error, in Redis's words.
pub fn parse_array(
    buf: &[u8],
    caps: Caps,
    args: &mut Vec<(usize, usize)>,
) -> Result<Option<usize>, String> {
    args.clear();
    let Some((count, mut at)) = header(buf, 0, "multibulk")? else {
        return Ok(None);
    };
    if count > caps.max_args as i64 {
        return Err("invalid multibulk length".into());
    }
    // As Redis: `*0` and `*-1` are empty requests.
    for _ in 0..count.max(0) {
        let Some(&first) = buf.get(at) else {
            return Ok(None);
        };
        if first != b'$' {
            return Err(format!("expected '$', got '{}'", first.escape_ascii()));
        }
        let Some((len, start)) = header(buf, at, "bulk")? else {
            return Ok(None);
        };
        if len < 0 || len as u64 > caps.max_bulk as u64 {
            return Err(format!(
                "invalid bulk length (this server accepts at most {} bytes)",
                caps.max_bulk
            ));
        }
        let end = start + len as usize;
        match buf.get(end..end + 2) {
            None => return Ok(None),
            Some(b"\r\n") => {}
            Some(_) => return Err("expected CRLF after a bulk string".into()),
        }
        args.push((start, end));
        at = end + 2;
    }
    Ok(Some(at))
}

/// The number in the `<prefix><digits>\r\n` header at `at` and where the
/// item after it starts; `None` if the header is not all there yet.
fn header(buf: &[u8], at: usize, what: &str) -> Result<Option<(i64, usize)>, String> {
    let invalid = || format!("invalid {what} length");
    let mut i = at + 1;
    let negative = buf.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits = i;
    let mut n: i64 = 0;
    loop {
        match buf.get(i) {
            None => {
                // Redis allows 64 KiB; a length has at most 20 digits.
                return if i - at > 22 {
                    Err(invalid())
                } else {
                    Ok(None)
                };
            }
            Some(&d @ b'0'..=b'9') => {
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(d - b'0')))
                    .ok_or_else(invalid)?;
                i += 1;
            }
            Some(b'\r') if i > digits => break,
            Some(_) => return Err(invalid()),
        }
    }
    match buf.get(i + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some((if negative { -n } else { n }, i + 2))),
        Some(_) => Err(invalid()),
    }
}

/// Splits an inline command line (without its line end) by spaces,
/// honouring "double" (with `\n`, `\r` and `\t` escapes) and 'single' quotes.
pub fn parse_inline(line: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut args = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        let mut arg = Vec::new();
        if line[i] == b'"' || line[i] == b'\'' {
            let quote = line[i];
            i += 1;
            loop {
                match line.get(i) {
                    None => return Err("unbalanced quotes in request"),
                    Some(&c) if c == quote => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if quote == b'"' && i + 1 < line.len() => {
                        arg.push(match line[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            c => c,
                        });
                        i += 2;
                    }
                    Some(&c) => {
                        arg.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < line.len() && !line[i].is_ascii_whitespace() {
                arg.push(line[i]);
                i += 1;
            }
        }
        args.push(arg);
    }
    Ok(args)
}

/// Runs `f` on the arguments at `ranges` of `buf` as slices, without
/// allocating for the common case of up to 16 arguments.
pub fn with_args<R>(buf: &[u8], ranges: &[(usize, usize)], f: impl FnOnce(&[&[u8]]) -> R) -> R {
    const INLINE: usize = 16;
    if ranges.len() <= INLINE {
        let mut args: [&[u8]; INLINE] = [&[]; INLINE];
        for (slot, &(start, end)) in args.iter_mut().zip(ranges) {
            *slot = &buf[start..end];
        }
        f(&args[..ranges.len()])
    } else {
        let args: Vec<&[u8]> = ranges.iter().map(|&(s, e)| &buf[s..e]).collect();
        f(&args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        max_bulk: 100,
        max_args: 8,
    };

    fn parse(buf: &[u8]) -> Result<Option<Vec<Vec<u8>>>, String> {
        let mut ranges = Vec::new();
        Ok(parse_array(buf, CAPS, &mut ranges)?.map(|n| {
            assert!(n <= buf.len());
            ranges.iter().map(|&(s, e)| buf[s..e].to_vec()).collect()
        }))
    }

    #[test]
    fn it_parses_complete_requests_in_place() {
        assert_eq!(
            parse(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1").unwrap(),
            Some(vec![b"GET".to_vec(), b"k".to_vec()])
        );
        assert_eq!(parse(b"*1\r\n$0\r\n\r\n").unwrap(), Some(vec![vec![]]));
        assert_eq!(parse(b"*0\r\n").unwrap(), Some(vec![]));
        let mut ranges = Vec::new();
        assert_eq!(
            parse_array(b"*1\r\n$2\r\nab\r\nrest", CAPS, &mut ranges),
            Ok(Some(12))
        );
    }

    #[test]
    fn it_waits_for_the_rest_of_a_request() {
        let whole = b"*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";
        for cut in 0..whole.len() {
            assert_eq!(parse(&whole[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn it_refuses_what_redis_refuses() {
        let refused: &[(&[u8], &str)] = &[
            (b"*x\r\n", "invalid multibulk length"),
            (b"*9\r\n", "invalid multibulk length"),
            (b"*1\r\n:1\r\n", "expected '$', got ':'"),
            (b"*1\r\n$101\r\n", "invalid bulk length"),
            (b"*1\r\n$-1\r\n", "invalid bulk length"),
            (b"*1\r\n$99999999999999999999999\r\n", "invalid bulk length"),
            (b"*1\r\n$1\r\nab\r\n", "expected CRLF"),
            (b"*1\r\n$1x\r\n", "invalid bulk length"),
            (b"*1\r\n$\r\n", "invalid bulk length"),
        ];
        for (input, error) in refused {
            let e = parse(input).unwrap_err();
            assert!(e.starts_with(error), "{:?}: {e}", input.escape_ascii());
        }
        // A header that never ends is refused once it is too long to be one.
        assert!(parse(&[b"*1\r\n$".as_slice(), &[b'1'; 30]].concat()).is_err());
    }

    #[test]
    fn inline_lines_split_on_spaces_and_quotes() {
        assert_eq!(
            parse_inline(br#"SET  k "a \"b\"\n" 'c d'"#).unwrap(),
            vec![
                b"SET".to_vec(),
                b"k".to_vec(),
                b"a \"b\"\n".to_vec(),
                b"c d".to_vec()
            ]
        );
        assert!(parse_inline(b"ECHO \"open").is_err());
        assert!(parse_inline(b"   ").unwrap().is_empty());
    }

    #[test]
    fn many_arguments_take_the_slow_path() {
        let buf = b"abcdefghijklmnopqrstuvwxyz";
        let ranges: Vec<(usize, usize)> = (0..20).map(|i| (i, i + 1)).collect();
        let joined = with_args(buf, &ranges, |args| args.concat());
        assert_eq!(joined, &buf[..20]);
    }
}
