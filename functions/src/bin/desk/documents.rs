//! `desk documents`: the members' repository from the command line, through
//! the same service as the desk's Documents section.

use crate::cli::DocumentsCommand;
use anyhow::{Context, bail};
use ccg_forms::decide::shared::{SharedFields, SharedRefusal, size_words};
use ccg_functions::Store;
use ccg_functions::records::language_name;
use ccg_functions::service::Forms;
use ccg_functions::service::shared_documents::{SentFile, SharedError};
use ccg_functions::store::lists::SharedQuery;

/// One sentence per refusal.
fn refused(e: SharedError, max: u64) -> anyhow::Error {
    let SharedError::Refused(wrong) = e else { return e.into() };
    let words: Vec<String> = wrong
        .iter()
        .map(|r| match r {
            SharedRefusal::Title => "the title is empty, longer than 200 characters or on more than one line".to_string(),
            SharedRefusal::Date => "the date is not YYYY-MM-DD".into(),
            SharedRefusal::Language => "the language is not an ISO 639-1 code the repository knows (en, fr, de, ...)".into(),
            SharedRefusal::Meeting => "the meeting is not the id of one of the group's events".into(),
            SharedRefusal::Kind => "the kind is not agenda, minutes, slides, report or other".into(),
            SharedRefusal::Missing => "the file is empty".into(),
            SharedRefusal::Size => format!("the file is larger than {} (members.documents.max_mb)", size_words(max)),
            SharedRefusal::WrongType => "the file is not a PDF or an OpenDocument file (judged by its content, not its name)".into(),
        })
        .collect();
    anyhow::anyhow!("not shared: {}", words.join("; "))
}

fn read(path: &std::path::Path) -> anyhow::Result<SentFile> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(SentFile { name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes })
}

pub async fn run<S: Store>(forms: &Forms<S>, command: DocumentsCommand, operator: &str) -> anyhow::Result<String> {
    let max = forms.shared_max_bytes();
    Ok(match command {
        DocumentsCommand::Add { file, title, date, language, meeting, kind } => {
            let today = forms.today().to_string();
            let date = date.unwrap_or(today);
            let fields = SharedFields { title: &title, date: &date, language: &language, meeting: meeting.as_deref().unwrap_or(""), kind: &kind };
            let d = forms.add_shared(&fields, read(&file)?, operator).await.map_err(|e| refused(e, max))?;
            format!("{} is shared with members: \"{}\" ({}, {}), recorded by {}.\n", d.id, d.title, d.file_type.label(), size_words(d.size), operator.trim())
        }
        DocumentsCommand::Replace { id, file } => {
            let Some(d) = forms.shared_document(&id).await? else { bail!("there is no document {id}") };
            let d = forms.replace_shared(&id, d.version, read(&file)?, operator).await.map_err(|e| refused(e, max))?;
            format!("The file of {} is replaced (version {}), recorded by {}.\n", d.id, d.version, operator.trim())
        }
        DocumentsCommand::Remove { id } => {
            let Some(d) = forms.shared_document(&id).await? else { bail!("there is no document {id}") };
            forms.remove_shared(&id, d.version, operator).await?;
            format!("{} (\"{}\") is removed, with its file, recorded by {}.\n", d.id, d.title, operator.trim())
        }
        DocumentsCommand::List => {
            let mut out = String::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = forms.shared_page(&SharedQuery::default(), cursor.as_deref(), 200).await?;
                for d in &page.items {
                    out.push_str(&format!(
                        "{}  {}  {}  {}  {}  {}, {}  {}\n",
                        d.id,
                        d.date,
                        d.kind.as_str(),
                        language_name(&d.language).unwrap_or(&d.language),
                        d.meeting.as_deref().unwrap_or("-"),
                        d.file_type.label(),
                        size_words(d.size),
                        d.title
                    ));
                }
                match page.next {
                    Some(n) => cursor = Some(n),
                    None => break,
                }
            }
            if out.is_empty() { "no documents\n".into() } else { out }
        }
    })
}
