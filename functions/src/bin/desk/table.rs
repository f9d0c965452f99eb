//! desk's commands on the DynamoDB table as a whole: `export-table`,
//! `import-table` (the restore drill's copy and restore, scripts/restore-drill.sh)
//! and `check-table` (after any restore). They need neither content nor mail.

use crate::cli::Command;
use anyhow::{Context, bail};
use ccg_functions::embedded;
use ccg_functions::store::dynamo::{DynamoStore, backup, client_from_env, create_table, table_check};
use std::io::{BufRead, Write};

pub async fn run(table: &str, command: Command) -> anyhow::Result<()> {
    let client = client_from_env().await;
    match command {
        Command::ExportTable { out } => {
            let store = DynamoStore::new(client, table);
            let mut lines: Vec<(String, String)> = store
                .all_items()
                .await?
                .iter()
                .map(|i| (i.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default(), backup::export_line(i)))
                .collect();
            lines.sort();
            let file = std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let mut w = std::io::BufWriter::new(file);
            for (_, line) in &lines {
                writeln!(w, "{line}")?;
            }
            w.flush()?;
            println!("{} items of {table} written to {}.", lines.len(), out.display());
        }
        Command::ImportTable { file, create } => {
            if create {
                create_table(&client, table).await?;
            }
            let reader = std::io::BufReader::new(std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?);
            let mut items = Vec::new();
            for (n, line) in reader.lines().enumerate() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                items.push(backup::import_line(&line).map_err(|e| anyhow::anyhow!("{}:{}: {e}", file.display(), n + 1))?);
            }
            let count = items.len();
            DynamoStore::new(client, table).put_items(items).await?;
            println!("{count} items put into {table}.");
        }
        Command::CheckTable => {
            let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
            let year = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date().year();
            let items = DynamoStore::new(client, table).all_items().await?;
            let check = table_check::check_items(&items, year, site.retention.paid_claim_years);
            print!("{}", check.report());
            if !check.ok() {
                bail!("{table} does not hold together: {} problem(s), above", check.problems.len());
            }
        }
        _ => unreachable!("only the table's commands come here"),
    }
    Ok(())
}
