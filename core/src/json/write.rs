//! A small JSON writer for output the core builds itself: the same text `serde_json` and
//! `JSON.stringify` write, without the serde serializer or `core::fmt`.

/// Appends `text` as a JSON string: `"` and `\` escaped, `\b \t \n \f \r` by name, the other
/// control characters below U+0020 as `\u00xx` (lower-case hex), everything else as it is.
pub fn string(out: &mut String, text: &str) {
    let hex = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 });
    out.push('"');
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let named = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(text.get(start..at).unwrap_or_default());
        start = at + 1;
        if named.is_empty() {
            out.push_str("\\u00");
            out.push(hex(byte >> 4));
            out.push(hex(byte & 0xf));
        } else {
            out.push_str(named);
        }
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out.push('"');
}

/// Appends `n` in decimal.
pub fn uint(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// Appends `true` or `false`.
pub fn boolean(out: &mut String, value: bool) {
    out.push_str(if value { "true" } else { "false" });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> String {
        let mut out = String::new();
        string(&mut out, text);
        out
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        all.push_str("é€😀\u{7f}\u{2028}");
        for text in [
            "",
            "plain",
            "a\"b\\c",
            "\u{1}\u{1f}\u{8}\u{c}",
            all.as_str(),
        ] {
            assert_eq!(
                quoted(text),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 7, 10, 1024, 99_999, u64::MAX] {
            let mut out = String::new();
            uint(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
