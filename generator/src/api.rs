//! The forms back end of the local preview: the same handler as the Lambda
//! functions (crate ccg-functions), on the embedded SQLite store in the data
//! folder, with the catalogue read from content/ drafts included, so the whole
//! flow can be tried locally. `serve` routes every /api/ request here.

use anyhow::Context;
use ccg_functions::files::local::LocalFiles;
use ccg_functions::mail::outbox::Outbox;
use ccg_functions::store::RetentionStore;
use ccg_functions::{App, Forms, Options, Settings, SqliteStore};
use ccg_model::Catalogue;
use std::path::Path;
use std::sync::Arc;

/// File of the embedded store inside the data folder.
pub const DB_FILE: &str = "forms.sqlite3";
/// Folder of the emails the preview "sends", inside the data folder (shown at /_outbox/).
pub const OUTBOX: &str = "outbox";
/// Folder of the claims' supporting documents inside the data folder (the preview's bucket).
pub const FILES: &str = "files";
/// The preview's person key (`CCG_PERSON_KEY` in AWS), made once in the data folder.
pub const PERSON_KEY_FILE: &str = "person.key";

/// The person key kept in the data folder, made (readable by its owner only)
/// the first time: the one-contribution rule holds across restarts only while
/// the key stays the same.
pub fn person_key(data_dir: &Path) -> anyhow::Result<ccg_functions::token::PersonKey> {
    use std::io::Write;
    let path = data_dir.join(PERSON_KEY_FILE);
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(&path) {
        Ok(mut f) => f
            .write_all(format!("{}\n", ccg_functions::token::PersonKey::new_setting()).as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write the person key {}", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create the person key {}", path.display())),
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the person key {}", path.display()))?;
    ccg_functions::token::PersonKey::from_setting(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Where the preview's sign-in links and passkeys live: its address with
/// `localhost` for a loopback IP (WebAuthn refuses an IP address as relying party).
pub fn sign_in_url(public_url: &str) -> String {
    for ip in ["127.0.0.1", "[::1]"] {
        if let Some(rest) = public_url.strip_prefix(&format!("http://{ip}")) {
            return format!("http://localhost{rest}");
        }
    }
    public_url.to_string()
}

pub struct Api {
    app: App<SqliteStore>,
    files: Arc<LocalFiles>,
}

impl Api {
    /// Opens the embedded store in `data_dir` and loads the catalogue (drafts
    /// included). Emails go to the outbox folder; their links lead to `public_url`
    /// (the preview's own address).
    pub fn open(content_dir: &Path, data_dir: &Path, site: &ccg_model::SiteConfig, public_url: &str) -> anyhow::Result<Api> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
        let db = data_dir.join(DB_FILE);
        let store = SqliteStore::open(&db).with_context(|| format!("cannot open the forms database {}", db.display()))?.with_person_key(person_key(data_dir)?);
        let catalogue = Catalogue::load_dir(content_dir, true).map_err(|e| anyhow::anyhow!("{e}"))?;
        let options =
            Options { public_url: public_url.to_string(), accept_drafts: true, sign_in_url: Some(sign_in_url(public_url)), ..Options::for_site(site) };
        let settings = Settings {
            allowed_origin: Some(public_url.to_string()),
            // The preview's own origin posts the forms, under whichever host name it was opened.
            allow_same_origin: true,
            serves: ccg_functions::Serves::Everything,
            log: true,
        };
        // Opening swept what was past its retention; a long-running preview sweeps again every day.
        let files =
            Arc::new(LocalFiles::open(&data_dir.join(FILES), public_url).with_context(|| format!("cannot open the files folder in {}", data_dir.display()))?);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let daily = store.clone();
            let daily_files = files.clone();
            rt.spawn(async move {
                loop {
                    // The files of claims the store no longer has go with them.
                    match ccg_functions::service::documents::sweep_files(&daily, daily_files.as_ref()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!("forms: deleted {n} document file(s) whose claim is gone"),
                        Err(e) => tracing::error!("forms: the sweep of document files failed: {e}"),
                    }
                    // And the desk's uploads to the members' repository never added.
                    match ccg_functions::service::shared_uploads::sweep_incoming(daily_files.as_ref(), jiff::Timestamp::now().as_second()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!("forms: deleted {n} upload(s) to the members' repository never added"),
                        Err(e) => tracing::error!("forms: the sweep of the repository's uploads failed: {e}"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
                    match daily.sweep(jiff::Timestamp::now().as_second()).await {
                        Ok(Some(s)) => tracing::info!("forms: swept {}", ccg_functions::service::desk::swept_summary(&s)),
                        Ok(None) => {}
                        Err(e) => tracing::error!("forms: the daily sweep failed: {e}"),
                    }
                }
            });
        }
        let forms = Forms::new(store, Arc::new(Outbox::new(data_dir.join(OUTBOX))), catalogue, options).with_files(files.clone());
        Ok(Api { app: App::new(forms, settings), files })
    }

    /// Lets a staff session started by link decide (`serve --staff-link-decides`).
    pub fn staff_link_decides(mut self, yes: bool) -> Api {
        self.app.forms.options.staff_link_may_decide = yes;
        self
    }

    /// After each successful rebuild, so the forms see the same content as the preview.
    pub fn reload(&self, content_dir: &Path) -> anyhow::Result<()> {
        let catalogue = Catalogue::load_dir(content_dir, true).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.app.forms.set_catalogue(catalogue);
        Ok(())
    }

    /// The preview's own templates and menu for the answers, so an edited
    /// template shows in them too (the Lambdas have theirs built in).
    pub fn reframe(
        &self,
        templates: &[(String, String)],
        site: &ccg_model::SiteConfig,
        base_url: &str,
        nav: &[ccg_model::page::NavItem],
    ) -> anyhow::Result<()> {
        // The templates the build just compiled (the answers use base.html, answer.html and the partials).
        let refs: Vec<(&str, &str)> = templates.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let view = ccg_model::SiteView::new(site, base_url, "/calendar/");
        let frame = ccg_functions::http::frame::Frame::new(&refs, &view, nav).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.app.set_frame(frame);
        Ok(())
    }

    pub async fn handle(&self, req: http::Request<bytes::Bytes>) -> http::Response<bytes::Bytes> {
        ccg_functions::handle(&self.app, req).await
    }

    /// The preview's bucket answers an upload form (`files::local::UPLOAD_PATH`) as S3 would:
    /// a 303 to the form's `success_action_redirect`, or S3's status with what was wrong.
    pub fn upload(&self, content_type: &str, body: &[u8]) -> Result<String, (u16, String)> {
        self.files.accept(content_type, body, jiff::Timestamp::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(path: &str, body: &str) -> http::Request<bytes::Bytes> {
        http::Request::post(path).header("content-type", "application/x-www-form-urlencoded").body(bytes::Bytes::from(body.to_string())).unwrap()
    }

    #[test]
    fn the_preview_makes_its_person_key_once_for_its_owner_only() {
        let data = std::env::temp_dir().join(format!("ccg-api-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        let first = person_key(&data).unwrap();
        let text = std::fs::read_to_string(data.join(PERSON_KEY_FILE)).unwrap();
        assert_eq!(text.trim().len(), 64, "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(data.join(PERSON_KEY_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // Kept: the same key (so the same contribution keys) after a restart.
        assert_eq!(person_key(&data).unwrap(), first);
        assert_eq!(std::fs::read_to_string(data.join(PERSON_KEY_FILE)).unwrap(), text);
        std::fs::write(data.join(PERSON_KEY_FILE), "short").unwrap();
        assert!(person_key(&data).is_err(), "a key too short is refused, not replaced");
        let _ = std::fs::remove_dir_all(&data);
    }

    /// The whole journey on the preview's own store and outbox, with the fixture site's draft meeting.
    #[tokio::test(flavor = "current_thread")]
    async fn the_preview_walks_the_confirmed_journey() {
        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixture-site/content");
        let data = std::env::temp_dir().join(format!("ccg-api-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let site = ccg_model::SiteConfig::parse(&content.join("config.yaml"), &std::fs::read_to_string(content.join("config.yaml")).unwrap()).unwrap();
        let api = Api::open(&content, &data, &site, "http://127.0.0.1:1111").unwrap();
        let token = |data: &Path| {
            let mails = ccg_functions::mail::outbox::read_all(&data.join(OUTBOX)).unwrap();
            let text = &mails.last().unwrap().email.text;
            let i = text.find("confirm?token=").unwrap() + "confirm?token=".len();
            text[i..].split_whitespace().next().unwrap().to_string()
        };
        let join = "name=Ana&email=ana%40example.eu&city=Valladolid&country=ES&organisation=City&position=Officer&city_status=lighthouse&consent=yes&website=";
        let res = api.handle(post("/api/register", join)).await;
        assert_eq!(res.headers()["location"], "http://127.0.0.1:1111/join/thanks/");
        let res = api.handle(post("/api/register/confirm", &format!("token={}", token(&data)))).await;
        assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
        api.app.forms.approve("ana@example.eu", "Valladolid", Some("ES"), "test").await.unwrap();
        // The meeting is a draft: only the preview takes claims for it (on a day it is open).
        let cat = Catalogue::load_dir(&content, true).unwrap();
        let event = cat.event("fixture-2027-03-draft").unwrap();
        let (from, until) = cat.rules.claim_window(event);
        let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
        if today < from || today > until {
            eprintln!("skipping the claim: the draft meeting takes no claims on {today}");
            return;
        }
        let claim = "name=Ana&email=ana%40example.eu&city=Valladolid&country=ES&event=fixture-2027-03-draft\
                     &travel_start=2027-03-15&travel_end=2027-03-17&amount_eur=300&transport_eur=200&accommodation_eur=100&consent=yes&declaration=yes&website=";
        let res = api.handle(post("/api/travel-claims", claim)).await;
        assert_eq!(res.status(), 303, "{}", String::from_utf8_lossy(res.body()));
        let res = api.handle(post("/api/travel-claims/confirm", &format!("token={}", token(&data)))).await;
        assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
        assert!(String::from_utf8_lossy(res.body()).contains("Claim confirmed"));
        api.reload(&content).unwrap();
        assert!(data.join(DB_FILE).is_file());
        let _ = std::fs::remove_dir_all(&data);
    }
}
