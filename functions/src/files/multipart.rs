//! Just enough of `multipart/form-data` (RFC 7578) to read an upload form as
//! S3 does: text fields, then one file. The preview's bucket reads it; tests write it.

/// One part of a form: its field name, the file name when it is a file, its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (essence, params) = content_type.split_once(';')?;
    if !essence.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// A quoted parameter of a Content-Disposition line: `name="file"`.
fn param(line: &str, name: &str) -> Option<String> {
    let at = line.find(&format!("; {name}=\""))? + name.len() + 4;
    let end = line[at..].find('"')?;
    Some(line[at..at + end].replace("%22", "\"").replace("%0D", "\r").replace("%0A", "\n"))
}

/// The parts of a body, in order; `None` when it is not well formed.
pub fn parse(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let b = boundary(content_type)?;
    let delim = format!("--{b}");
    let mut at = find(body, delim.as_bytes(), 0)? + delim.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2)? == b"--" {
            return Some(parts);
        }
        at += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = std::str::from_utf8(&body[at..head_end]).ok()?;
        let disposition = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let name = param(disposition, "name")?;
        let file_name = param(disposition, "filename");
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)?;
        parts.push(Part { name, file_name, data: body[data_start..next].to_vec() });
        at = next + 2 + delim.len();
    }
}

/// A body of `fields` then one file, with its content type (tests, and the preview's own checks).
pub fn write(fields: &[(String, String)], file_field: &str, file_name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let b = "----ccg-form-boundary-7d93";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes_and_refuses_broken_bodies() {
        let fields = vec![("key".to_string(), "claims/c/d/${filename}".to_string()), ("policy".into(), "e30=".into())];
        let data = b"%PDF-1.4\r\n--not the boundary\r\n\x00\xff";
        let (ct, body) = write(&fields, "file", "ticket.pdf", data);
        let parts = parse(&ct, &body).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[0].name.as_str(), parts[0].data.as_slice()), ("key", &b"claims/c/d/${filename}"[..]));
        assert_eq!(parts[2].file_name.as_deref(), Some("ticket.pdf"));
        assert_eq!(parts[2].data, data);
        assert_eq!(parse("multipart/form-data; boundary=\"----ccg-form-boundary-7d93\"", &body).unwrap().len(), 3);
        assert!(parse(&ct, &body[..body.len() - 10]).is_none());
        assert!(parse("application/x-www-form-urlencoded", &body).is_none());
        assert!(parse(&ct, b"garbage").is_none());
    }
}
