//! The `desk` binary as the secretariat runs it: the site address its emails
//! link to (refused on an example domain outside the preview), the emails of
//! its decisions in the preview's outbox, and a payment below the amount asked
//! for with its reason.

use crate::common::*;
use ccg_functions::mail::outbox;
use ccg_functions::{Form, SqliteStore, handle};
use std::path::Path;
use std::process::Command;

/// Runs desk in `dir` (no content/ there: the content built in) without
/// `CCG_BASE_URL` unless `env` sets it: exit code, stdout, stderr.
fn desk(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desk"));
    cmd.current_dir(dir).args(args).env_remove("CCG_BASE_URL").env("CCG_OPERATOR", "Eva");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn outside_the_preview_the_example_address_is_refused() {
    let dir = temp_dir("desk-dynamo");
    // Refused before any store is reached: the config built in has the example base_url.
    let (code, out, err) = desk(&dir, &["--dynamodb", "ccg-forms", "claims"], &[]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("base_url `https://ccg.scalable-cities.example` of content/config.yaml is on a reserved example domain"), "{err}");
    assert!(err.contains("--base-url URL or CCG_BASE_URL"), "{err}");
    for (args, env) in [
        (vec!["--dynamodb", "t", "--base-url", "https://ccg.scalable-cities.example", "claims"], vec![]),
        (vec!["--dynamodb", "t", "claims"], vec![("CCG_BASE_URL", "https://www.example.org/")]),
        (vec!["--base-url", "https://site.test", "--dynamodb", "t", "approve", "a@b.eu", "--city", "Porto"], vec![]),
    ] {
        let (code, _, err) = desk(&dir, &args, &env);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("is on a reserved example domain"), "{args:?}: {err}");
    }
    let (code, _, err) = desk(&dir, &["--dynamodb", "t", "--base-url", "ccg.eu", "claims"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("--base-url `ccg.eu` is not a site address"), "{err}");
}

/// A contact confirmed in the preview's store at `dir/data/forms.sqlite3`, and
/// (with `claim`) her claim for `e1` counted and approved: its id.
async fn preview_store(dir: &Path, claim_euros: Option<&str>) -> Option<String> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let app = app(SqliteStore::open(&data.join("forms.sqlite3")).unwrap().with_person_key(person_key()), catalogue());
    let sent = handle(&app, json_post("/api/register", registration("ana@valladolid.es"))).await;
    assert_eq!(sent.status(), 202);
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(Form::Register, &token, true)).await.status(), 200);
    let euros = claim_euros?;
    app.forms.approve("ana@valladolid.es", "Valladolid", Some("ES"), "Eva").await.unwrap();
    let (status, done) = claim_confirmed(&app, claim("e1", euros)).await;
    assert_eq!(status, 200, "{done}");
    let id = done["id"].as_str().unwrap().to_string();
    app.forms.approve_claim(&id, "Eva").await.unwrap();
    Some(id)
}

fn outbox_to(dir: &Path, to: &str) -> Vec<ccg_functions::mail::Email> {
    outbox::read_all(&dir.join("data/outbox")).unwrap().into_iter().map(|m| m.email).filter(|e| e.to == to).collect()
}

#[tokio::test]
async fn the_preview_mails_the_given_address_and_accepts_the_example_one() {
    let dir = temp_dir("desk-preview");
    preview_store(&dir, None).await;
    // --base-url: the approval's links lead to the real site, its leave link included.
    let (code, out, err) =
        desk(&dir, &["--base-url", "https://ccg.scalable-cities.eu/", "approve", "ana@valladolid.es", "--city", "Valladolid", "--country", "ES"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is now an approved representative of ES:valladolid, recorded by Eva.\nana@valladolid.es was emailed.\n"), "{out}");
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert_eq!(mail.subject, "You are approved as the representative of Valladolid");
    assert!(mail.text.contains("\nhttps://ccg.scalable-cities.eu/financial-support/\n"), "{}", mail.text);
    assert!(mail.text.contains("\nhttps://ccg.scalable-cities.eu/api/leave?token="), "{}", mail.text);
    assert!(!mail.text.contains(".example"), "{}", mail.text);
    // CCG_BASE_URL, when --base-url is not given.
    let env = [("CCG_BASE_URL", "https://ccg.eu")];
    let (code, out, err) = desk(&dir, &["decline", "ana@valladolid.es", "--reason", "not a city official"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ana@valladolid.es was emailed."), "{out}");
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert!(mail.text.contains("for this reason: not a city official.") && mail.text.contains("\nhttps://ccg.eu/api/leave?token="), "{}", mail.text);
    // Neither: on the preview's store, the config's example address is accepted.
    let (code, _, err) = desk(&dir, &["approve", "ana@valladolid.es", "--city", "Valladolid", "--country", "ES"], &[]);
    assert_eq!(code, 0, "{err}");
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert!(mail.text.contains("\nhttps://ccg.scalable-cities.example/api/leave?token="), "{}", mail.text);
}

#[tokio::test]
async fn a_payment_below_the_amount_asked_for_gives_its_reason() {
    let dir = temp_dir("desk-paid");
    let id = preview_store(&dir, Some("450")).await.unwrap();
    let base = ["--base-url", "https://ccg.eu"];
    let paid = |more: &[&'static str]| [&base[..], &["paid", id.as_str(), "--on", "2027-04-02"], more].concat();
    let (code, out, err) = desk(&dir, &paid(&["--amount", "412.50"]), &[]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("the payment (412.50 EUR) is less than the amount asked for (450 EUR): say why with --reason"), "{err}");
    let (code, _, err) = desk(&dir, &paid(&["--amount", "450", "--reason", "because"]), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("the payment is the full amount asked for (450 EUR): it needs no reason; leave out --reason"), "{err}");
    let (code, out, err) = desk(&dir, &paid(&["--amount", "412.50", "--reason", "The hotel invoice was lower"]), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("is paid: 412.50 EUR on 2027-04-02 (less than the 450 EUR asked for: The hotel invoice was lower).\nana@valladolid.es was emailed.\n"),
        "{out}"
    );
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert_eq!(mail.subject, "Your travel claim is paid");
    assert!(mail.text.contains("That is less than the 450 EUR asked for, for this reason: The hotel invoice was lower.\n"), "{}", mail.text);
    let (code, out, err) = desk(&dir, &[&base[..], &["claim", id.as_str()]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Reason of payment (less than asked for): The hotel invoice was lower\nPaid: 412.50 EUR on 2027-04-02\n"), "{out}");
}

#[tokio::test]
async fn the_desk_names_claims_by_their_reference_and_takes_it_for_an_id() {
    let dir = temp_dir("desk-reference");
    let id = preview_store(&dir, Some("300")).await.unwrap();
    let base = ["--base-url", "https://ccg.eu"];
    let (code, out, err) = desk(&dir, &[&base[..], &["claims"]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("REFERENCE     ID "), "{out}");
    assert!(lines.next().unwrap().starts_with(&format!("CCG-2027-0001 {id} approved")), "{out}");
    // `desk claim` takes the reference (any letter case), and shows it next to the id.
    let (code, out, err) = desk(&dir, &[&base[..], &["claim", "ccg-2027-0001"]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("CCG-2027-0001  {id}  approved\n")), "{out}");
    // So do the decisions; an unknown reference is no claim.
    let (code, out, err) = desk(&dir, &[&base[..], &["paid", "CCG-2027-0001", "--amount", "300", "--on", "2027-04-02"]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("CCG-2027-0001 (Ana López, Valladolid 2027) is paid: 300 EUR on 2027-04-02.\n"), "{out}");
    let (code, _, err) = desk(&dir, &[&base[..], &["approve-claim", "CCG-2027-0002"]].concat(), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no claim CCG-2027-0002"), "{err}");
    // The export has the reference as its last column.
    let csv = dir.join("claims.csv");
    let (code, _, err) = desk(&dir, &["export", "claims", "-o", csv.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",reason,reference") && text.lines().nth(1).unwrap().ends_with(",CCG-2027-0001"), "{text}");
}
