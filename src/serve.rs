//! `kura serve`: a small static web server on 127.0.0.1, for previewing a
//! built site as a mirror would serve it. Not for production.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};

/// The media type of a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "minisig" => "text/plain; charset=utf-8",
        _ if path.file_name().is_some_and(|n| n == "SHA256SUMS") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Binds 127.0.0.1:`port` (0 picks a free port) and returns the listener
/// and its address, for [`serve`].
pub fn bind(port: u16) -> Result<(TcpListener, String)> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| Error::Other(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Other(format!("cannot read the address: {e}")))?;
    Ok((listener, format!("http://{addr}/")))
}

/// Checks that `site` holds a built site.
pub fn ready(site: &Path) -> Result<()> {
    if site.join("index.html").is_file() {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "{}: no index.html; build the site first",
            site.display()
        )))
    }
}

/// Most connections served at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 32;
/// Most bytes of a request's line and headers together.
pub const MAX_REQUEST: u64 = 16 * 1024;
/// How long a connection may take to send its request, or to take the
/// answer, before it is dropped.
pub const IDLE: Duration = Duration::from_secs(10);

/// The headers every answer carries: no sniffing of a file's type from
/// its content, and the same policy the pages carry in their meta tag.
pub const SECURITY_HEADERS: &str = "X-Content-Type-Options: nosniff\r\n\
Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'\r\n\
Referrer-Policy: no-referrer\r\n";

/// Serves `site` until the process is stopped, a thread per connection,
/// at most [`MAX_CONNECTIONS`] at once, each dropped when idle.
pub fn serve(site: &Path, listener: TcpListener) -> Result<()> {
    ready(site)?;
    let root = site.canonicalize().map_err(|e| Error::io(site, e))?;
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(IDLE));
        let _ = stream.set_write_timeout(Some(IDLE));
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let root = root.clone();
        let spawned = std::thread::Builder::new().spawn({
            let open = Arc::clone(&open);
            move || {
                let _ = respond(&root, stream);
                open.fetch_sub(1, Ordering::SeqCst);
            }
        });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

/// Decodes %XX escapes; `None` for a malformed escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file a request path names inside `root`, if it is safe and exists.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = percent_decode(path)?;
    if path.split('/').any(|seg| seg == ".." || seg.contains('\\')) {
        return None;
    }
    let mut file = root.join(path.trim_start_matches('/'));
    if file.is_dir() {
        file = file.join("index.html");
    }
    let real = file.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

fn respond(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    // The request line and headers may not be longer than MAX_REQUEST.
    let mut reader = BufReader::new(stream.try_clone()?.take(MAX_REQUEST));
    let mut request = String::new();
    if reader.read_line(&mut request)? == 0 {
        return Ok(());
    }
    let mut complete = request.ends_with('\n');
    while complete {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header == "\r\n" || header == "\n" {
            break;
        }
        complete = header.ends_with('\n');
    }
    if !complete {
        return stream.write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    if method != "GET" && method != "HEAD" {
        return stream.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    let (status, file) = match resolve(root, target) {
        Some(f) => ("200 OK", Some(f)),
        None => ("404 Not Found", resolve(root, "/404.html")),
    };
    let body = match &file {
        Some(f) => crate::fsx::read(f)?,
        None => b"not found".to_vec(),
    };
    let kind = file
        .as_deref()
        .map_or("text/plain; charset=utf-8", content_type);
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{SECURITY_HEADERS}Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if method == "GET" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_site() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::create_dir(root.join("areas")).unwrap();
        std::fs::write(root.join("areas/a b.html"), "a").unwrap();
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/areas/a%20b.html?x=1"),
            Some(root.join("areas/a b.html"))
        );
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(&root, "/nope.html"), None);
        assert_eq!(resolve(&root, "/%zz"), None);
    }
}
