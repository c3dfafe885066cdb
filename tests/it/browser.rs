//! The portal in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
//! which `.ci/run` installs), driven over the WebDriver protocol by hand, as JSON over HTTP.
//! With `CI` set, a missing browser is a failure, never a skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use clusterkpi::write::tables;

use crate::outputs::{strings, table};
use crate::serve::{Portal, Server, request};
use crate::util::{clusterkpi, root};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether the browser is here; without it the test is skipped, except under CI.
fn browser_present() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    assert!(present || std::env::var_os("CI").is_none(), "CI is set but {CHROMIUM} or {CHROMEDRIVER} is missing");
    present
}

struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, addr }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session.
struct Browser {
    driver: Driver,
    session: String,
    downloads: tempfile::TempDir,
}

impl Browser {
    fn open() -> Browser {
        let driver = Driver::start();
        let downloads = tempfile::tempdir().unwrap();
        let profile = downloads.path().join("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())],
                "prefs": {"download.default_directory": downloads.path().join("files"),
                          "download.prompt_for_download": false}
            }
        }}});
        let r = call(&driver.addr, "POST", "/session", &caps);
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_owned();
        Browser { driver, session, downloads }
    }

    fn cmd(&self, method: &str, path: &str, body: &Value) -> Value {
        call(&self.driver.addr, method, &format!("/session/{}{path}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", &json!({ "url": url }));
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        let r = self.cmd("POST", "/elements", &json!({"using": "css selector", "value": css}));
        r["value"]
            .as_array()
            .map_or_else(Vec::new, |a| a.iter().filter_map(|e| e[ELEMENT].as_str()).map(str::to_owned).collect())
    }

    /// The elements matching `css`, once there are some (within 10 s).
    fn wait_for(&self, css: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.find_all(css);
            if !found.is_empty() {
                return found;
            }
            assert!(Instant::now() < deadline, "no `{css}` appeared");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn text(&self, element: &str) -> String {
        self.cmd("GET", &format!("/element/{element}/text"), &Value::Null)["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.cmd("GET", &format!("/element/{element}/attribute/{name}"), &Value::Null)["value"]
            .as_str()
            .map(str::to_owned)
    }

    fn type_into(&self, element: &str, text: &str) {
        self.cmd("POST", &format!("/element/{element}/value"), &json!({ "text": text }));
    }

    fn click(&self, element: &str) {
        self.cmd("POST", &format!("/element/{element}/click"), &json!({}));
    }

    /// Whether a JavaScript dialog (an `alert`) is open.
    fn alert_open(&self) -> bool {
        self.cmd("GET", "/alert/text", &Value::Null)["value"]["error"] != "no such alert"
    }

    /// Pick `file` in the page's form and send it; wait for the report.
    fn check_file(&self, base: &str, file: &Path) {
        self.choose(base, file);
        let button = self.wait_for("#check button[type=submit]")[0].clone();
        self.click(&button);
        self.wait_for("section.file");
    }

    /// The file downloaded whose name ends with `suffix`, once it is complete (within 10 s).
    fn downloaded(&self, suffix: &str) -> PathBuf {
        let dir = self.downloads.path().join("files");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Chromium reserves the final name with an empty file while the bytes go to a
        // `.crdownload` beside it: a download is finished when that is gone and its size holds.
        let mut last: Option<(PathBuf, u64)> = None;
        loop {
            let names: Vec<PathBuf> =
                std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            let pending = names.iter().any(|p| p.to_string_lossy().ends_with(".crdownload"));
            let found = names.iter().find(|p| p.to_string_lossy().ends_with(suffix));
            let now = found.and_then(|p| Some((p.clone(), std::fs::metadata(p).ok()?.len())));
            match (&now, &last) {
                (Some((p, len)), Some(before)) if !pending && *len > 0 && (p, len) == (&before.0, &before.1) => {
                    return p.clone();
                }
                _ => {}
            }
            assert!(Instant::now() < deadline, "no `*{suffix}` was downloaded whole");
            last = now;
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Choose `file` in the page's form.
    fn choose(&self, base: &str, file: &Path) {
        self.go(base);
        let input = self.wait_for("#file")[0].clone();
        self.type_into(&input, file.to_str().unwrap());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        call(&self.driver.addr, "DELETE", &format!("/session/{}", self.session), &Value::Null);
    }
}

fn call(addr: &str, method: &str, path: &str, body: &Value) -> Value {
    let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
    let kind = (!bytes.is_empty() || method == "POST").then_some("application/json; charset=utf-8");
    let bytes = if bytes.is_empty() && method == "POST" { b"{}".to_vec() } else { bytes };
    let r = request(addr, method, path, kind, &bytes);
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

#[test]
fn a_coordinator_checks_files_and_gets_a_template_in_a_real_browser() {
    if !browser_present() {
        return;
    }
    let server = Server::start(&[]);
    let base = format!("http://{}/", server.addr);
    let b = Browser::open();

    // 1. A file with planted mistakes: highlighted cells, and their hints.
    b.check_file(&base, &root().join("tests/fixtures/cli/mistakes.csv"));
    let cells = b.find_all("table.grid td.error");
    assert!(cells.len() >= 8, "{} highlighted cells", cells.len());
    let hints: Vec<String> = b.find_all("ul.findings p.hint").iter().map(|h| b.text(h)).collect();
    assert!(hints.iter().any(|h| h.contains("write a number")), "{hints:?}");
    // The cell of `twelve` tells its finding on hover and, clicked, in the panel: the report's
    // script runs under the strict policy (it is a file, not inline).
    let twelve = cells.iter().find(|c| b.text(c) == "twelve").expect("the `twelve` cell is highlighted").clone();
    assert!(b.attribute(&twelve, "title").unwrap_or_default().contains("E_VALUE_NOT_NUMBER"));
    let panel = b.find_all("#detail")[0].clone();
    assert!(b.attribute(&panel, "hidden").is_some(), "the panel starts hidden");
    b.click(&twelve);
    assert!(b.attribute(&panel, "hidden").is_none(), "a click shows the panel");
    assert!(b.text(&panel).contains("E_VALUE_NOT_NUMBER"), "{}", b.text(&panel));

    // 5. A cell holding markup shows as text, and no script of the file runs.
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("hostile.csv");
    std::fs::write(
        &hostile,
        "cluster,country,year,kpi,value,unit,notes\nSolent,GBR,2023,jobs,<img src=x onerror=alert(1)>,jobs,<script>alert(2)</script>\n",
    )
    .unwrap();
    b.check_file(&base, &hostile);
    assert!(!b.alert_open(), "no script from the file ran");
    let shown: Vec<String> = b.find_all("table.grid td").iter().map(|c| b.text(c)).collect();
    assert!(shown.iter().any(|t| t == "<img src=x onerror=alert(1)>"), "{shown:?}");
    assert!(b.find_all("table.grid img").is_empty(), "no element from the file");
    // The 1.7 KB far-cell xlsx: reported, and the server keeps answering.
    b.check_file(&base, &root().join("tests/fixtures/hostile/far_cell.xlsx"));
    assert_eq!(request(&server.addr, "GET", "/healthz", None, b"").status, 200);

    // 3. The template, downloaded through the page: every choice of its own dropdowns passes.
    b.go(&base);
    let cluster = b.wait_for("#cluster")[0].clone();
    b.type_into(&cluster, "The Solent Cluster");
    let download = b.find_all("form[action='/api/template'] button")[0].clone();
    b.click(&download);
    let file = b.downloaded("-template.xlsx");
    crate::template::check_every_choice(&std::fs::read(file).unwrap());

    // 2. The annotated copy, downloaded through the page: the notes of `clusterkpi annotate`,
    //    among them the hand-known one on E2 (`twelve`).
    let mistakes = root().join("tests/fixtures/cli/mistakes.csv");
    b.choose(&base, &mistakes);
    let annotate = b.wait_for("#annotate")[0].clone();
    b.click(&annotate);
    let copy = std::fs::read(b.downloaded("mistakes.csv.checked.xlsx")).unwrap();
    let notes = crate::annotate::notes(&copy);
    let e2 = notes.iter().find(|(cell, _)| cell == "E2").expect("a note on E2");
    assert!(e2.1.contains("E_VALUE_NOT_NUMBER") && e2.1.contains("How to fix: write a number"), "{e2:?}");
    assert_eq!(notes, crate::annotate::notes(&crate::annotate::annotate(&mistakes).bytes));
}

#[test]
fn a_coordinator_sends_a_file_with_the_clusters_token_from_the_page() {
    if !browser_present() {
        return;
    }
    let portal = Portal::new("requests_per_minute = 1000");
    let solent = portal.issue("solent");
    let kwinana = portal.issue("kwinana");
    let server = portal.serve();
    let base = format!("http://{}/", server.addr);
    let b = Browser::open();
    let file = portal.dir.path().join("solent-2023.csv");
    std::fs::write(&file, "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,1234,jobs\n").unwrap();

    // 4. With the cluster's token: a receipt on the page, the file in the inbox, and the next
    //    run publishes it.
    let send = |token: &str| {
        b.choose(&base, &file);
        let field = b.wait_for("#token")[0].clone();
        b.type_into(&field, token);
        let button = b.wait_for("#send-button")[0].clone();
        b.click(&button);
    };
    send(&solent);
    let receipt = b.text(&b.wait_for("#receipt.received")[0]);
    assert!(receipt.starts_with("Received: keep this receipt"), "{receipt}");
    let inbox = portal.dir.path().join("in/solent");
    let stored: Vec<PathBuf> = std::fs::read_dir(&inbox).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let name = stored[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(receipt.contains(&format!("solent/{name}")), "{receipt}");
    assert_eq!(std::fs::read(&stored[0]).unwrap(), std::fs::read(&file).unwrap());

    let run = clusterkpi(&["run", portal.pipeline.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let published = table(&portal.dir.path().join("out"), &tables::OBSERVATIONS);
    let sources = strings(&published, "source_file");
    let clusters = strings(&published, "cluster_id");
    let values = strings(&published, "value");
    assert_eq!(sources, [Some(format!("solent/{name}"))]);
    assert_eq!((clusters[0].as_deref(), values[0].as_deref()), (Some("solent"), Some("1234.0")));

    // Another cluster's token: refused (403), said on the page, and nothing more stored.
    send(&kwinana);
    let refusal = b.text(&b.wait_for("#receipt.refused")[0]);
    assert!(refusal.contains("rows of other clusters (solent)"), "{refusal}");
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 1);
}
