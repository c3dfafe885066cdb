//! `clusterkpi serve`: the coordinators' portal over HTTP, with the pipeline's schema, reference
//! data and limits.
//!
//! - `GET /`: a page to drop or pick a file; the form posts to `POST /report`, which answers the
//!   HTML report of the file (summary, findings by sheet, the sheet as a grid). It works
//!   without script; the script only adds dropping a file onto the page.
//! - `POST /api/validate` (multipart field `file`): the JSON document of `validate --format json`.
//! - `POST /api/annotate` (field `file`): the annotated xlsx.
//! - `GET /api/template?cluster=ID`: the blank template of a cluster.
//! - `GET /healthz`.
//!
//! Every response carries a strict Content-Security-Policy (scripts and styles only as files
//! from the server, nothing inline), `X-Content-Type-Options: nosniff` and no referrer. An
//! upload over the size limit is answered 413. A file name sent by a client is only ever shown
//! (escaped) and used for its extension, never as a path. Nothing is stored. Spreadsheets are
//! parsed in the same contained workers as the nightly run.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::document::Document;
use super::report::{self, Assets};
use super::view::View;
use crate::pipeline::{self, FileReport};
use crate::read::Format;
use crate::schema::Schema;

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const PAGE: &str = include_str!("../../assets/portal.html");
const PORTAL_JS: &str = include_str!("../../assets/portal.js");

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped")]
    Serve(#[source] std::io::Error),
}

/// What the server was started with.
pub struct Settings {
    pub schema: Arc<Schema>,
    /// The largest upload accepted, in bytes.
    pub upload_bytes: usize,
}

struct App {
    schema: Arc<Schema>,
}

/// The portal's routes.
pub fn router(settings: Settings) -> Router {
    let app = Arc::new(App { schema: settings.schema });
    Router::new()
        .route("/", get(|| async { html(PAGE.to_owned()) }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/static/report.css", get(|| async { asset("text/css; charset=utf-8", report::CSS) }))
        .route("/static/report.js", get(|| async { asset("text/javascript; charset=utf-8", report::JS) }))
        .route("/static/portal.js", get(|| async { asset("text/javascript; charset=utf-8", PORTAL_JS) }))
        .route("/report", post(report_page))
        .route("/api/validate", post(validate))
        .route("/api/annotate", post(annotate))
        .route("/api/template", get(template))
        .layer(DefaultBodyLimit::max(settings.upload_bytes))
        .layer(axum::middleware::map_response(secure))
        .with_state(app)
}

/// Serve on `addr` until the process is stopped; `bound` is told the address actually bound
/// (port 0 picks a free one).
pub async fn serve(addr: SocketAddr, settings: Settings, bound: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind { addr, source })?;
    bound(local);
    tracing::info!(%local, "serving the portal");
    axum::serve(listener, router(settings)).await.map_err(ServeError::Serve)
}

async fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// An uploaded file: its name as sent (for display and its extension only) and its bytes.
struct Upload {
    name: Arc<str>,
    format: Option<Format>,
    bytes: Bytes,
}

/// The name a client sent, made safe to show: its last path component, without control
/// characters, at most 200 characters.
fn display_name(sent: &str) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() { "upload".to_owned() } else { clean }
}

async fn upload(mut form: Multipart) -> Result<Upload, Response> {
    let too_large = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        problem(status, e.body_text())
    };
    while let Some(field) = form.next_field().await.map_err(too_large)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = display_name(field.file_name().unwrap_or("upload"));
        let format = Format::from_path(std::path::Path::new(&name));
        let bytes = field.bytes().await.map_err(too_large)?;
        return Ok(Upload { name: name.into(), format, bytes });
    }
    Err(problem(StatusCode::BAD_REQUEST, "send the file in a multipart form field named `file`"))
}

/// Check an upload off the async threads (spreadsheets go to the contained workers).
async fn check(app: &Arc<App>, upload: &Upload) -> Result<(FileReport, View), Response> {
    let Some(format) = upload.format else {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("`{}` is not a submission format: send {}", upload.name, Format::extensions_listed()),
        ));
    };
    let (schema, name, bytes) = (app.schema.clone(), upload.name.clone(), upload.bytes.clone());
    tokio::task::spawn_blocking(move || {
        let mut report = pipeline::check_bytes(&bytes, format, &name, &schema);
        report.sha256 = Some(crate::plan::sha256_hex(&bytes));
        let view = View::new(&report, &bytes, format, &schema);
        (report, view)
    })
    .await
    .map_err(|e| problem(StatusCode::INTERNAL_SERVER_ERROR, format!("the check failed: {e}")))
}

async fn report_page(State(app): State<Arc<App>>, form: Multipart) -> Response {
    let upload = match upload(form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match check(&app, &upload).await {
        Ok(checked) => html(report::html(&[checked], Assets::Linked("/static"))),
        Err(r) => r,
    }
}

async fn validate(State(app): State<Arc<App>>, form: Multipart) -> Response {
    let upload = match upload(form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match check(&app, &upload).await {
        Ok((report, _)) => {
            let reports = [report];
            let body = serde_json::to_string_pretty(&Document::new(&reports, false)).unwrap_or_default();
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(r) => r,
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An attachment's header: an ASCII file name, without quotes.
fn attachment(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._- ".contains(c) { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"")
}

async fn annotate(State(app): State<Arc<App>>, form: Multipart) -> Response {
    let upload = match upload(form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(format) = upload.format else {
        return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("send {}", Format::extensions_listed()));
    };
    let (schema, name, bytes) = (app.schema.clone(), upload.name.clone(), upload.bytes.clone());
    let made = tokio::task::spawn_blocking(move || super::annotate::annotate(&bytes, format, &name, &schema)).await;
    match made {
        Ok(Ok(xlsx)) => {
            let disposition = attachment(&format!("{}.checked.xlsx", upload.name));
            ([(header::CONTENT_TYPE, XLSX.to_owned()), (header::CONTENT_DISPOSITION, disposition)], xlsx)
                .into_response()
        }
        Ok(Err(e)) => problem(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, format!("the check failed: {e}")),
    }
}

#[derive(serde::Deserialize)]
struct TemplateQuery {
    cluster: String,
}

async fn template(State(app): State<Arc<App>>, Query(q): Query<TemplateQuery>) -> Response {
    match super::template::template(&app.schema, &q.cluster) {
        Ok(xlsx) => {
            let id = app.schema.clusters.find(&q.cluster).map_or("cluster", |c| c.id.as_str());
            let disposition = attachment(&format!("{id}-template.xlsx"));
            ([(header::CONTENT_TYPE, XLSX.to_owned()), (header::CONTENT_DISPOSITION, disposition)], xlsx)
                .into_response()
        }
        Err(e @ super::template::TemplateError::UnknownCluster(_)) => problem(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{attachment, display_name};

    #[test]
    fn a_sent_name_is_never_a_path() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\Users\\x\\kpis.xlsx"), "kpis.xlsx");
        assert_eq!(display_name("a\u{0}b\nc.csv"), "abc.csv");
        assert_eq!(display_name("/"), "upload");
        assert_eq!(attachment("kpis \"x\".csv.checked.xlsx"), "attachment; filename=\"kpis _x_.csv.checked.xlsx\"");
    }
}
