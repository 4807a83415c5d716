//! The audit commands of the CLI: `keys generate`, `verify` and `export`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use usertrail_store::audit::access::{Access, Reader, record_access};
use usertrail_store::audit::entries::EntryFilter;
use usertrail_store::audit::verify::verify_org;

use crate::config::DatabaseSettings;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new Ed25519 key pair: PATH (secret, mode 0600) and PATH.pub.
    Generate {
        /// Where to write the secret key; set SIGNING_KEY_PATH to it.
        #[arg(long, env = "SIGNING_KEY_PATH")]
        secret_key_file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Slug of the organization.
    #[arg(long)]
    pub org: String,
    /// The secret key file, whose public half checks the signatures.
    #[arg(long, env = "SIGNING_KEY_PATH")]
    pub signing_key_path: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseSettings,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Slug of the organization.
    #[arg(long)]
    pub org: String,
    /// ndjson or csv.
    #[arg(long, default_value = "ndjson", value_parser = ["ndjson", "csv"])]
    pub format: String,
    /// File to write; stdout when absent.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Only entries from this sequence on.
    #[arg(long)]
    pub from_sequence: Option<i64>,
    /// Only entries up to this sequence.
    #[arg(long)]
    pub to_sequence: Option<i64>,
    #[command(flatten)]
    pub database: DatabaseSettings,
}

pub fn keys(command: KeysCommand) -> anyhow::Result<()> {
    let KeysCommand::Generate { secret_key_file } = command;
    let public = crate::signing::generate_key_files(&secret_key_file)?;
    eprintln!(
        "wrote the secret key to {} and the public key to {}",
        secret_key_file.display(),
        public.display()
    );
    Ok(())
}

pub async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let pool = usertrail_store::connect(args.database.database_url.expose(), 1)?;
    let mut client = pool.get().await.context("connecting to the database")?;
    let org = find_org(&client, &args.org).await?;
    let key = args
        .signing_key_path
        .as_deref()
        .map(crate::signing::load_signing_key)
        .transpose()?
        .map(|key| key.verifying_key());
    // Through the pool, whose connection is driven on another thread: when
    // the chain has to be walked, it reads the rows while this one hashes
    // them. On a long chain the screen shares its work with a second
    // connection, as the API's does; without one, the first screens it all.
    // The second one answers with counts only, so it is driven by a task
    // of its own.
    let open_helpers = async || match direct_connection(&args.database).await {
        Ok((helper, connection)) => {
            tokio::spawn(connection);
            vec![helper]
        }
        Err(error) => {
            eprintln!("verifying on one connection: {error:#}");
            Vec::new()
        }
    };
    let report = verify_org(&mut client, open_helpers, org, key.as_ref(), 5_000).await?;
    let access = operator_access(&client, org, "verify", json!({}), Some(report.entries)).await?;
    record_access(&client, &access).await?;
    let text = serde_json::to_string_pretty(&report)?;
    write_stdout(format!("{text}\n").as_bytes())?;
    if !report.ok {
        bail!("the chain of {} does not verify", args.org);
    }
    Ok(())
}

/// An access-log row for a read by whoever runs the CLI: the operating-system
/// user and host as the environment tells them, and the database role, which
/// the database itself vouches for.
async fn operator_access(
    client: &usertrail_store::Client,
    org: uuid::Uuid,
    action: &'static str,
    filter: Value,
    row_count: Option<i64>,
) -> anyhow::Result<Access> {
    let role: String = client
        .query_one("SELECT current_user::text", &[])
        .await?
        .get(0);
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .or_else(process_uid)
        .unwrap_or_else(|| "an unknown user".to_owned());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "an unknown host".to_owned());
    Ok(Access {
        org_id: org,
        reader: Reader::Operator(format!(
            "{user} on {host} as database role {role} (usertrail CLI)"
        )),
        action,
        filter,
        row_count,
        request_id: None,
        accessed_at: crate::Clock::System.now(),
    })
}

/// `uid N` of this process, from Linux's /proc, when no variable names the user.
fn process_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
    Some(format!("uid {}", uid.split_whitespace().next()?))
}

/// A connection of its own for a read of a whole chain. An export polls
/// its `connection` in the same task as the read (`alongside`), so that no
/// batch of rows crosses threads on its way (docs/performance.md).
async fn direct_connection(
    database: &crate::config::DatabaseSettings,
) -> anyhow::Result<(
    tokio_postgres::Client,
    tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
)> {
    database
        .database_url
        .expose()
        .parse::<tokio_postgres::Config>()?
        .connect(tokio_postgres::NoTls)
        .await
        .context("connecting to the database")
}

/// Runs `read` while driving its connection; an error if the connection
/// ends first.
async fn alongside<T>(
    connection: impl Future<Output = Result<(), tokio_postgres::Error>>,
    read: impl Future<Output = Result<T, usertrail_store::StoreError>>,
) -> anyhow::Result<T> {
    tokio::select! {
        outcome = read => Ok(outcome?),
        closed = connection => bail!("the database connection closed during the read: {closed:?}"),
    }
}

async fn find_org(client: &usertrail_store::Client, slug: &str) -> anyhow::Result<uuid::Uuid> {
    match usertrail_store::find_organization_by_slug(client, slug).await? {
        Some(org) => Ok(org.id.0),
        None => bail!("no organization with slug {slug:?}"),
    }
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let pool = usertrail_store::connect(args.database.database_url.expose(), 1)?;
    let client = pool.get().await.context("connecting to the database")?;
    let org = find_org(&client, &args.org).await?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let csv = args.format == "csv";
    if csv {
        out.write_all(&crate::api::csv_header())?;
    }
    // A progress bar only for a person watching: stderr is a terminal.
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    let filter = EntryFilter {
        from_sequence: args.from_sequence,
        to_sequence: args.to_sequence,
        ..EntryFilter::default()
    };
    let mut access = operator_access(
        &client,
        org,
        "events_export",
        serde_json::to_value(&filter)?,
        None,
    )
    .await?;
    record_access(&client, &access).await?;
    let (mut failed, mut unformatted) = (None, None);
    let mut write = |buffer: &[u8], rows: u64| {
        progress.inc(rows);
        match out.write_all(buffer) {
            Ok(()) => true,
            Err(error) => {
                failed = Some(anyhow::Error::new(error).context("writing the export"));
                false
            }
        }
    };
    let (mut direct, connection) = direct_connection(&args.database).await?;
    let read = async {
        if csv {
            usertrail_store::audit::entries::stream_entries(
                &mut direct,
                org,
                &filter,
                5_000,
                async |batch| {
                    let mut buffer = Vec::with_capacity(batch.len() * 1024);
                    for entry in batch {
                        if let Err(error) = crate::api::csv_row(&mut buffer, entry) {
                            unformatted = Some(anyhow::anyhow!(
                                "the record at sequence {} cannot be exported: {error}",
                                entry.sequence
                            ));
                            return false;
                        }
                    }
                    write(&buffer, batch.len() as u64)
                },
            )
            .await
        } else {
            usertrail_store::audit::lines::stream_ndjson(
                &mut direct,
                org,
                &filter,
                5_000,
                async |lines, rows| write(&lines, rows),
            )
            .await
        }
    };
    let rows = alongside(connection, read).await?;
    let failed = unformatted.or(failed);
    access.action = "events_export_finished";
    access.row_count = Some(i64::try_from(rows).unwrap_or(i64::MAX));
    access.accessed_at = crate::Clock::System.now();
    record_access(&client, &access).await?;
    if let Some(error) = failed {
        return Err(error);
    }
    out.flush()?;
    progress.finish_and_clear();
    eprintln!("exported {rows} events");
    Ok(())
}

/// The command's output goes to stdout; everything else to stderr.
fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}
