//! `clusterkpi serve`, through HTTP as a browser or a script sees it: the page, the API, the
//! security headers, the upload limit, hostile uploads. Requests are written by hand over a
//! TCP stream, so nothing of the server's own stack is trusted by the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::util::root;

/// A portal server on a free port, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
}

impl Server {
    pub(crate) fn start(extra: &[&str]) -> Server {
        Server::start_logged(extra, Stdio::null())
    }

    /// With `-v --log-format json`, the log to `log`.
    fn start_logged(extra: &[&str], log: Stdio) -> Server {
        let mut args = vec!["-v", "--log-format", "json", "serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_clusterkpi"))
            .args(&args)
            .current_dir(root())
            .env_remove("CLUSTERKPI_LOG")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().trim_start_matches("clusterkpi portal on http://").trim_end_matches('/').to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Response {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub(crate) fn request(addr: &str, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Response {
    request_with(addr, method, path, content_type, &[], body)
}

fn request_with(
    addr: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = content_type {
        head.push_str(&format!("Content-Type: {t}\r\nContent-Length: {}\r\n", body.len()));
    }
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading it all.
    let _ = stream.write_all(body);
    // Read the head, then the body by its length (a peer may keep the connection open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).unwrap_or(0);
        assert!(n > 0, "the connection closed before a complete response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let length = String::from_utf8_lossy(&raw[..split])
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-length")))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    match length {
        Some(n) => {
            while raw.len() < split + 4 + n {
                let got = stream.read(&mut buf).unwrap_or(0);
                if got == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..got]);
            }
        }
        None => {
            let _ = stream.read_to_end(&mut raw);
        }
    }
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = unchunk(&body);
    }
    Response { status, headers, body }
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

const BOUNDARY: &str = "clusterkpi-test-boundary";

fn upload(addr: &str, path: &str, name: &str, bytes: &[u8]) -> Response {
    upload_with(addr, path, name, bytes, &[])
}

fn upload_with(addr: &str, path: &str, name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> Response {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    request_with(addr, "POST", path, Some(&format!("multipart/form-data; boundary={BOUNDARY}")), extra, &body)
}

fn assert_secure(r: &Response) {
    // Written out here, not taken from the code: what a browser is told, exactly.
    let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
               form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    assert_eq!(r.header("content-security-policy"), Some(csp));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap()
}

#[test]
fn the_page_and_its_files_work_under_a_strict_policy() {
    let s = Server::start(&[]);
    let health = request(&s.addr, "GET", "/healthz", None, b"");
    assert_eq!((health.status, health.text().trim()), (200, "ok"));
    assert_secure(&health);

    let page = request(&s.addr, "GET", "/", None, b"");
    assert_eq!(page.status, 200);
    assert_secure(&page);
    let html = page.text();
    assert!(html.contains(r#"action="/report""#) && html.contains(r#"enctype="multipart/form-data""#));
    assert!(!html.contains("<script>") && !html.contains("<style"), "no inline script or style");
    for asset in ["/static/report.css", "/static/portal.js", "/static/report.js"] {
        assert!(asset == "/static/report.js" || html.contains(asset), "{asset} linked");
        let r = request(&s.addr, "GET", asset, None, b"");
        assert_eq!(r.status, 200, "{asset}");
        assert!(!r.body.is_empty());
    }
}

#[test]
fn validate_answers_the_document_of_validate_format_json() {
    let s = Server::start(&[]);
    let r = upload(&s.addr, "/api/validate", "mistakes.csv", &fixture("tests/fixtures/cli/mistakes.csv"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let served: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let cli = crate::util::clusterkpi(&["validate", "--format", "json", "tests/fixtures/cli/mistakes.csv"]);
    let local: serde_json::Value = serde_json::from_str(&cli.stdout).unwrap();
    let (a, b) = (&served["files"][0], &local["files"][0]);
    assert_eq!(a["file"], "mistakes.csv");
    for key in ["format", "rows_read", "rows_accepted", "rows_rejected", "not_reported"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let codes = |f: &serde_json::Value| -> Vec<String> {
        f["findings"].as_array().unwrap().iter().map(|x| format!("{}{}", x["code"], x["message"])).collect()
    };
    assert_eq!(codes(a), codes(b));
}

#[test]
fn the_report_page_escapes_what_the_file_holds_and_names_no_path() {
    let s = Server::start(&[]);
    let csv = b"cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,<script>alert(1)</script>,jobs\n";
    let r = upload(&s.addr, "/report", "../../etc/<b>passwd</b>.csv", csv);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_secure(&r);
    let html = r.text();
    assert!(!html.contains("<script>alert"), "the file's text is escaped");
    assert!(!html.contains("<b>passwd"), "so is the name it was sent under");
    assert!(!html.contains("../"), "and only its last component is shown");
    assert!(html.contains(r#"<link rel="stylesheet" href="/static/report.css">"#));
    assert!(html.contains(r#"<script src="/static/report.js"></script>"#));
    assert!(!html.contains("<script>"), "no inline script");
    assert!(html.contains("error[E_"), "the row is rejected");
}

#[test]
fn annotate_and_template_answer_workbooks() {
    let s = Server::start(&[]);
    let r = upload(&s.addr, "/api/annotate", "ohio.xlsx", &fixture("sample_data/ohio-clean-hydrogen-hub.xlsx"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    assert_eq!(r.header("content-disposition"), Some("attachment; filename=\"ohio.xlsx.checked.xlsx\""));
    let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(r.body)).unwrap();
    assert_eq!(calamine::Reader::sheet_names(&book)[0], "Findings");

    let t = request(&s.addr, "GET", "/api/template?cluster=solent", None, b"");
    assert_eq!(t.status, 200);
    assert!(t.body.starts_with(b"PK"), "an xlsx");
    let unknown = request(&s.addr, "GET", "/api/template?cluster=Atlantis", None, b"");
    assert_eq!(unknown.status, 404);
}

#[test]
fn uploads_over_the_limit_and_hostile_files_do_not_take_it_down() {
    let s = Server::start(&["--upload-mb", "1"]);
    let big = vec![b'a'; 2 << 20];
    let r = upload(&s.addr, "/api/validate", "big.csv", &big);
    assert_eq!(r.status, 413);
    assert_secure(&r);
    let wrong = upload(&s.addr, "/api/validate", "notes.txt", b"hello");
    assert_eq!(wrong.status, 415);
    let missing = request(&s.addr, "POST", "/api/validate", Some("multipart/form-data; boundary=x"), b"--x--\r\n");
    assert_eq!(missing.status, 400);
    // Every hostile fixture small enough: answered, and the server still answers after.
    let dir = root().join("tests/fixtures/hostile");
    let mut sent = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() > 900 << 10 {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let r = upload(&s.addr, "/api/validate", &name, &bytes);
        assert!([200, 415].contains(&r.status), "{name}: {}", r.status);
        sent += 1;
    }
    assert!(sent >= 5, "{sent} hostile files sent");
    assert_eq!(request(&s.addr, "GET", "/healthz", None, b"").status, 200);
}

/// A pipeline in a temporary folder with `[serve]` settings, its input folder and its tokens.
pub(crate) struct Portal {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) pipeline: std::path::PathBuf,
}

impl Portal {
    pub(crate) fn new(serve: &str) -> Portal {
        let dir = tempfile::tempdir().unwrap();
        let pipeline = dir.path().join("portal.toml");
        let text =
            format!("[input]\ndir = \"in\"\n[output]\ndir = \"out\"\n[serve]\ntokens = \"tokens.json\"\n{serve}\n");
        std::fs::write(&pipeline, text).unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        Portal { dir, pipeline }
    }

    fn tokens(&self, args: &[&str]) -> crate::util::Run {
        let mut all = vec!["tokens"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--pipeline", self.pipeline.to_str().unwrap()]);
        crate::util::clusterkpi(&all)
    }

    pub(crate) fn issue(&self, cluster: &str) -> String {
        let run = self.tokens(&["new", "--cluster", cluster]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout.trim().to_owned()
    }

    pub(crate) fn serve(&self) -> Server {
        Server::start(&[self.pipeline.to_str().unwrap()])
    }
}

fn submit(addr: &str, token: Option<&str>, name: &str, bytes: &[u8], forwarded: Option<&str>) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut extra = Vec::new();
    if let Some(a) = &auth {
        extra.push(("Authorization", a.as_str()));
    }
    if let Some(f) = forwarded {
        extra.push(("X-Forwarded-For", f));
    }
    upload_with(addr, "/api/submit", name, bytes, &extra)
}

const SOLENT: &[u8] = b"cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,1200,jobs\n";

#[test]
fn a_clean_file_of_the_tokens_cluster_is_stored_once_with_a_receipt() {
    let p = Portal::new("requests_per_minute = 1000");
    let token = p.issue("solent");
    assert_eq!(token.len(), 64, "256 bits as hex");
    let kept = std::fs::read_to_string(p.dir.path().join("tokens.json")).unwrap();
    assert!(!kept.contains(&token), "only the hash is kept");
    let s = p.serve();

    let none = submit(&s.addr, None, "solent.csv", SOLENT, None);
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    assert_secure(&none);
    let wrong = submit(&s.addr, Some(&"0".repeat(64)), "solent.csv", SOLENT, None);
    assert_eq!(wrong.status, 403);
    assert_secure(&wrong);

    let first = submit(&s.addr, Some(&token), "../solent.csv", SOLENT, None);
    assert_eq!(first.status, 201, "{}", first.text());
    assert_secure(&first);
    let receipt: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
    let sha = {
        use sha2::Digest;
        sha2::Sha256::digest(SOLENT).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(receipt["cluster_id"], "solent");
    assert_eq!(receipt["sha256"], sha.as_str());
    assert_eq!(receipt["submission_id"], sha.as_str());
    let file = receipt["file"].as_str().unwrap();
    assert!(file.starts_with("solent/") && file.ends_with(&format!("-{}.csv", &sha[..16])), "{file}");
    assert_eq!(std::fs::read(p.dir.path().join("in").join(file)).unwrap(), SOLENT);
    assert!(receipt["received_at"].as_str().unwrap().ends_with('Z'));

    let again = submit(&s.addr, Some(&token), "other-name.csv", SOLENT, None);
    assert_eq!(again.status, 200, "the same bytes: the earlier receipt");
    let earlier: serde_json::Value = serde_json::from_slice(&again.body).unwrap();
    assert_eq!(earlier, receipt);
    assert_eq!(std::fs::read_dir(p.dir.path().join("in/solent")).unwrap().count(), 1, "stored once");

    // Another cluster's rows, a file with errors: refused, and nothing stored.
    let kwinana = b"cluster,country,year,kpi,value,unit\nKwinana,AUS,2023,jobs,900,jobs\n";
    assert_eq!(submit(&s.addr, Some(&token), "k.csv", kwinana, None).status, 403);
    let broken = b"cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,lots,jobs\n";
    let r = submit(&s.addr, Some(&token), "b.csv", broken, None);
    assert_eq!(r.status, 422);
    assert_secure(&r);
    let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["files"][0]["findings"][0]["code"], "E_VALUE_NOT_NUMBER");
    assert_eq!(std::fs::read_dir(p.dir.path().join("in/solent")).unwrap().count(), 1);

    // Revoked: refused at the next request, without a restart.
    let revoke = p.tokens(&["revoke", "--cluster", "solent"]);
    assert_eq!(revoke.stdout.trim(), "1 token of `solent` revoked");
    let other = b"cluster,country,year,kpi,value,unit\nSolent,GBR,2024,jobs,1300,jobs\n";
    assert_eq!(submit(&s.addr, Some(&token), "s.csv", other, None).status, 403);
    let list = p.tokens(&["list"]);
    assert!(list.stdout.contains("solent") && list.stdout.contains("revoked"), "{}", list.stdout);
}

#[test]
fn requests_over_the_rate_are_answered_429_per_client_address() {
    // Without a trusted proxy, a forwarded address is ignored: one client.
    let p = Portal::new("requests_per_minute = 2");
    let s = p.serve();
    for _ in 0..2 {
        assert_eq!(submit(&s.addr, None, "s.csv", SOLENT, Some("203.0.113.7")).status, 401);
    }
    let over = submit(&s.addr, None, "s.csv", SOLENT, Some("203.0.113.8"));
    assert_eq!(over.status, 429);
    assert_secure(&over);
    let retry: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));

    // Behind the trusted proxy, each forwarded address has its own count.
    let q = Portal::new("requests_per_minute = 2\ntrusted_proxy = \"127.0.0.1\"");
    let s = q.serve();
    for _ in 0..2 {
        assert_eq!(submit(&s.addr, None, "s.csv", SOLENT, Some("203.0.113.7")).status, 401);
    }
    assert_eq!(submit(&s.addr, None, "s.csv", SOLENT, Some("203.0.113.7")).status, 429);
    assert_eq!(submit(&s.addr, None, "s.csv", SOLENT, Some("203.0.113.8")).status, 401);
}

#[test]
fn the_access_log_is_structured_and_holds_no_token_and_no_content() {
    let p = Portal::new("requests_per_minute = 1000");
    let token = p.issue("solent");
    let log_path = p.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let s = Server::start_logged(&[p.pipeline.to_str().unwrap()], Stdio::from(log));
    let marked = b"cluster,country,year,kpi,value,unit,notes\nSolent,GBR,2023,jobs,1200,jobs,MARKER-7f3a\n";
    assert_eq!(submit(&s.addr, Some(&token), "s.csv", marked, None).status, 201);
    assert_eq!(request(&s.addr, "GET", "/api/template?cluster=solent", None, b"").status, 200);
    drop(s);
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let access: Vec<&serde_json::Value> = lines.iter().filter(|l| l["fields"]["path"].is_string()).collect();
    assert!(access.iter().any(|l| l["fields"]["path"] == "/api/submit" && l["fields"]["status"] == 201), "{text}");
    assert!(access.iter().any(|l| l["fields"]["path"] == "/api/template" && l["fields"]["status"] == 200), "{text}");
    assert!(!text.contains(&token), "no token in the log");
    assert!(!text.contains(&token[..16]), "not even part of one");
    assert!(!text.contains("MARKER-7f3a"), "no file content in the log");
}
