//! The command line: `serve`, `migrate`, `org create`, `token create`.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use usertrail_domain::{OrgId, UserId};
use usertrail_store::{NewToken, StoreError, TokenKind};
use uuid::Uuid;

use crate::Clock;
use crate::config::{DatabaseSettings, ServeSettings};
use crate::startup::Application;
use crate::telemetry::LogFormat;

/// usertrail: a user directory whose source of truth is an append-only,
/// tamper-evident log of every change, served over SCIM 2.0 and JSON.
#[derive(Debug, Parser)]
#[command(name = "usertrail", version)]
pub struct Cli {
    /// Log line format on stderr.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "human",
        global = true
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP until SIGINT or SIGTERM.
    Serve {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        serve: ServeSettings,
    },
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the checkpoint signing key.
    #[command(subcommand)]
    Keys(crate::audit_cli::KeysCommand),
    /// Recompute an organization's chain and check its checkpoints; exit 1 if broken.
    Verify(crate::audit_cli::VerifyArgs),
    /// Stream an organization's sealed log to a file or stdout as NDJSON or CSV.
    Export(crate::audit_cli::ExportArgs),
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization; prints its id.
    Create {
        /// Short name used in URLs and commands: lowercase letters, digits, dashes.
        slug: String,
        /// Name shown to people (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token; prints it once on its own line. Only its hash is stored.
    Create {
        /// Slug of the organization the token belongs to.
        #[arg(long)]
        org: String,
        /// scim (a provisioning client), service (the product backend), auditor (read-only)
        /// or personal (one user's own token; needs --user).
        #[arg(long, value_parser = ["scim", "service", "auditor", "personal"])]
        kind: String,
        /// For a personal token: the id of the user it belongs to.
        #[arg(long, required_if_eq("kind", "personal"))]
        user: Option<Uuid>,
        /// A label people recognise, recorded as the actor's name on every change.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { database, serve } => {
            usertrail_store::migrate(database.migration_url()).await?;
            let application = Application::build(&database, &serve, Clock::System).await?;
            tracing::info!(address = %application.address(), "serving");
            application.run_until_stopped().await?;
            Ok(())
        }
        Command::Migrate { database } => {
            let applied = usertrail_store::migrate(database.migration_url()).await?;
            eprintln!("{applied} migration(s) applied");
            Ok(())
        }
        Command::Org(OrgCommand::Create {
            slug,
            name,
            database,
        }) => {
            let display_name = name.unwrap_or_else(|| slug.clone());
            create_org(&database, &slug, &display_name).await
        }
        Command::Token(TokenCommand::Create {
            org,
            kind,
            user,
            name,
            database,
        }) => {
            let kind: TokenKind = kind.parse().map_err(anyhow::Error::msg)?;
            let user = user.map(UserId);
            create_token(&database, &org, kind, user, &name).await
        }
        Command::Keys(command) => crate::audit_cli::keys(command),
        Command::Verify(args) => crate::audit_cli::verify(args).await,
        Command::Export(args) => crate::audit_cli::export(args).await,
    }
}

async fn create_org(
    database: &DatabaseSettings,
    slug: &str,
    display_name: &str,
) -> anyhow::Result<()> {
    let pool = usertrail_store::connect(database.database_url.expose(), 1)?;
    let client = pool.get().await.context("connecting to the database")?;
    let id = OrgId(Uuid::now_v7());
    let now = Clock::System.now();
    match usertrail_store::create_organization(&client, id, slug, display_name, now).await {
        Ok(org) => {
            print_line(&org.id.to_string());
            Ok(())
        }
        Err(StoreError::Database(error))
            if error.as_db_error().and_then(|db| db.constraint())
                == Some("organizations_slug_format") =>
        {
            bail!("invalid slug {slug:?}: use 1-63 lowercase letters, digits and dashes")
        }
        Err(error) => Err(error.into()),
    }
}

async fn create_token(
    database: &DatabaseSettings,
    org_slug: &str,
    kind: TokenKind,
    user: Option<UserId>,
    label: &str,
) -> anyhow::Result<()> {
    let pool = usertrail_store::connect(database.database_url.expose(), 1)?;
    let client = pool.get().await.context("connecting to the database")?;
    let Some(org) = usertrail_store::find_organization_by_slug(&client, org_slug).await? else {
        bail!("no organization with slug {org_slug:?}; create it with `usertrail org create`");
    };
    let secret = crate::auth::generate_secret(kind)
        .map_err(|error| anyhow::anyhow!("no randomness for the token: {error}"))?;
    let hash = crate::auth::hash_secret(&secret);
    let token = NewToken {
        id: Uuid::now_v7(),
        org_id: org.id,
        kind,
        label,
        secret_hash: &hash,
    };
    let now = Clock::System.now();
    match (kind, user) {
        (TokenKind::Personal, Some(user)) => {
            check_user(&client, org.id, user).await?;
            usertrail_store::create_personal_token(&client, &token, user, now).await?;
        }
        (TokenKind::Personal, None) => bail!("a personal token needs --user <user id>"),
        (_, Some(_)) => bail!("--user is only for --kind personal"),
        (_, None) => {
            usertrail_store::create_token(&client, &token, now).await?;
        }
    }
    eprintln!(
        "created {kind} token {} for {org_slug}; it is shown only once:",
        token.id
    );
    print_line(&secret);
    Ok(())
}

/// A personal token needs a live user of the organization.
async fn check_user(
    client: &usertrail_store::Client,
    org: OrgId,
    user: UserId,
) -> anyhow::Result<()> {
    match usertrail_store::load_user(client, org, user).await? {
        Some(found) if !found.is_deleted() => Ok(()),
        _ => bail!("no live user {user} in this organization"),
    }
}

/// The CLI's machine-readable output: one value per line on stdout.
#[expect(clippy::print_stdout, reason = "stdout is this command's output")]
fn print_line(value: &str) {
    println!("{value}");
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(extra: &[&str]) -> Result<Cli, clap::Error> {
        let base = [
            "usertrail",
            "token",
            "create",
            "--org",
            "acme",
            "--name",
            "laptop",
        ];
        let database = ["--database-url", "postgres://localhost/usertrail"];
        Cli::try_parse_from(base.iter().chain(extra).chain(&database))
    }

    #[test]
    fn a_personal_token_needs_the_user_it_belongs_to() {
        assert!(parse(&["--kind", "personal"]).is_err());
        let user = "0192f5a0-0000-7000-8000-000000000001";
        let cli = parse(&["--kind", "personal", "--user", user]).unwrap();
        let Command::Token(TokenCommand::Create {
            kind, user: parsed, ..
        }) = cli.command
        else {
            panic!("parsed as another command");
        };
        assert_eq!(kind, "personal");
        assert_eq!(parsed.map(|id| id.to_string()).as_deref(), Some(user));
    }
}
