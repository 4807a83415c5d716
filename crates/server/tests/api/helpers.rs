//! The test harness: every test gets its own database, copied from a
//! template that is migrated once per schema version, and its own server
//! on a free port. `TestApp::finish` checks that the projection rebuilds
//! exactly from the log, then drops the database.

use std::net::SocketAddr;

use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::sync::OnceCell;
use tokio_postgres::NoTls;
use usertrail_domain::OrgId;
use usertrail_server::Clock;
use usertrail_server::auth::{generate_secret, hash_secret};
use usertrail_server::config::{DatabaseSettings, Secret, ServeSettings};
use usertrail_server::startup::Application;
use usertrail_store::{NewToken, Pool, TokenKind};
use uuid::Uuid;

/// An arbitrary constant: the lock that serialises template creation
/// across test processes.
const TEMPLATE_LOCK: i64 = 0x7574_7465_7374_0001;

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

pub struct TestApp {
    pub address: SocketAddr,
    pub pool: Pool,
    pub org: Org,
    pub http: reqwest::Client,
    database: String,
}

/// An organization with one token of each kind.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    pub scim_token: String,
    pub scim_token_id: Uuid,
    pub service_token: String,
    pub auditor_token: String,
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a database"
        )
    })
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |index| index + scheme_end);
    let mut result = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

async fn admin() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&admin_url(), NoTls)
        .await
        .expect("connect to TEST_DATABASE_URL");
    tokio::spawn(connection);
    client
}

/// The migrated template database for this schema, created once.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let fingerprint = usertrail_store::schema_fingerprint();
            let digest = hash_secret(&fingerprint);
            let name = format!("ut_tpl_{}", hex(&digest[..8]));
            let client = admin().await;
            client
                .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
                .await
                .unwrap();
            let exists = client
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .unwrap()
                .is_some();
            if !exists {
                let building = format!("{name}_building");
                client
                    .execute(&format!("DROP DATABASE IF EXISTS {building}"), &[])
                    .await
                    .unwrap();
                client
                    .execute(&format!("CREATE DATABASE {building}"), &[])
                    .await
                    .unwrap();
                usertrail_store::migrate(&with_database(&admin_url(), &building))
                    .await
                    .unwrap();
                client
                    .execute(&format!("ALTER DATABASE {building} RENAME TO {name}"), &[])
                    .await
                    .unwrap();
            }
            client
                .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
                .await
                .unwrap();
            name
        })
        .await
}

/// A new, empty database (no migrations) and its superuser URL, for tests
/// that migrate step by step; `drop_database` removes it.
pub async fn empty_database() -> (String, String) {
    let name = format!("ut_empty_{}", uuid::Uuid::new_v4().simple());
    admin()
        .await
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await
        .unwrap();
    let url = with_database(&admin_url(), &name);
    (name, url)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// `spawn` with the server's settings changed by `configure` first.
    pub async fn spawn_with(configure: impl FnOnce(&mut ServeSettings)) -> TestApp {
        // TEST_LOG=1 shows the server's logs, for a failing test's why.
        if std::env::var_os("TEST_LOG").is_some() {
            usertrail_server::telemetry::init(usertrail_server::telemetry::LogFormat::Human);
        }
        let template = template().await;
        let database = format!("ut_test_{}", Uuid::new_v4().simple());
        admin()
            .await
            .execute(
                &format!("CREATE DATABASE {database} TEMPLATE {template}"),
                &[],
            )
            .await
            .unwrap();
        let database_url = with_database(&admin_url(), &database);
        let service_url = service_url(&database).await;

        let (mut settings, mut serve) = server_settings(service_url);
        settings.migration_database_url = Some(Secret::new(database_url.clone()));
        configure(&mut serve);
        let application = Application::build(&settings, &serve, Clock::System)
            .await
            .unwrap();
        let address = application.address();
        tokio::spawn(application.run_until_stopped());

        let pool = usertrail_store::connect(&database_url, 4).unwrap();
        let org = create_org(&pool, "acme").await;
        TestApp {
            address,
            pool,
            org,
            http: reqwest::Client::new(),
            database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A request with the organization's SCIM token.
    pub fn scim(&self, method: Method, path: &str) -> RequestBuilder {
        self.scim_as(&self.org, method, path)
    }

    pub fn scim_as(&self, org: &Org, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(&format!("/scim/v2{path}")))
            .bearer_auth(&org.scim_token)
            .header("content-type", "application/scim+json")
    }

    /// A request to `/api/v1` with the organization's service token.
    pub fn api(&self, path: &str) -> RequestBuilder {
        self.http
            .get(self.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.org.service_token)
    }

    /// `GET /api/v1/users/{id}/events` that must succeed: the user's history.
    pub async fn user_history(&self, user_id: &str) -> Value {
        let response = self
            .api(&format!("/users/{user_id}/events"))
            .send()
            .await
            .unwrap();
        json_with_status(response, 200).await
    }

    /// The time now, as the server reads it.
    pub fn now(&self) -> time::OffsetDateTime {
        Clock::System.now()
    }

    /// Creates a second organization, for isolation tests.
    pub async fn other_org(&self, slug: &str) -> Org {
        create_org(&self.pool, slug).await
    }

    /// `POST /Users` that must succeed; returns the created resource.
    pub async fn create_user(&self, body: Value) -> Value {
        let response = self
            .scim(Method::POST, "/Users")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "create failed: {:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    pub async fn client(&self) -> usertrail_store::Client {
        self.pool.get().await.unwrap()
    }

    /// The user's `users` row as JSON, all columns.
    pub async fn projection_row(&self, user_id: &str) -> Option<Value> {
        self.row_by_id(
            "SELECT to_jsonb(u) AS row FROM users u WHERE id = $1",
            user_id,
        )
        .await
    }

    /// The one JSON `row` that `sql` selects for the id `$1`, if any.
    async fn row_by_id(&self, sql: &str, id: &str) -> Option<Value> {
        let id = Uuid::parse_str(id).unwrap();
        let row = self.client().await.query_opt(sql, &[&id]).await.unwrap();
        row.map(|row| row.get("row"))
    }

    /// The user's `user_events` rows as JSON, oldest first.
    pub async fn event_rows(&self, user_id: &str) -> Vec<Value> {
        let id = Uuid::parse_str(user_id).unwrap();
        self.client()
            .await
            .query(
                "SELECT to_jsonb(e) - 'tx_id' AS row FROM user_events e WHERE user_id = $1 \
                 ORDER BY version",
                &[&id],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get("row"))
            .collect()
    }

    /// `POST /Groups` that must succeed; returns the created resource.
    pub async fn create_group(&self, body: Value) -> Value {
        let response = self
            .scim(Method::POST, "/Groups")
            .json(&body)
            .send()
            .await
            .unwrap();
        json_with_status(response, 201).await
    }

    /// The group's `groups` row as JSON, all columns.
    pub async fn group_row(&self, group_id: &str) -> Option<Value> {
        self.row_by_id(
            "SELECT to_jsonb(g) AS row FROM groups g WHERE id = $1",
            group_id,
        )
        .await
    }

    /// The user ids in `group_members` for the group, in id order.
    pub async fn member_rows(&self, group_id: &str) -> Vec<String> {
        let id = Uuid::parse_str(group_id).unwrap();
        self.client()
            .await
            .query(
                "SELECT user_id::text AS id FROM group_members WHERE group_id = $1 \
                 ORDER BY user_id",
                &[&id],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get("id"))
            .collect()
    }

    /// The group's `group_events` rows as JSON, oldest first.
    pub async fn group_event_rows(&self, group_id: &str) -> Vec<Value> {
        let id = Uuid::parse_str(group_id).unwrap();
        self.client()
            .await
            .query(
                "SELECT to_jsonb(e) - 'tx_id' AS row FROM group_events e WHERE group_id = $1 \
                 ORDER BY version",
                &[&id],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get("row"))
            .collect()
    }

    pub async fn event_count(&self) -> i64 {
        self.client()
            .await
            .query_one("SELECT count(*) AS n FROM user_events", &[])
            .await
            .unwrap()
            .get("n")
    }

    /// The projection as it is, and as a rebuild from the log makes it
    /// (computed in a transaction that is rolled back).
    pub async fn projection_and_rebuild(&self) -> (Value, Value) {
        let mut client = self.client().await;
        // Every projection, each in a stable order, as one JSON document.
        let snapshot = "SELECT jsonb_build_array( \
               (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY org_id, id), '[]') FROM users u), \
               (SELECT coalesce(jsonb_agg(to_jsonb(g) ORDER BY org_id, id), '[]') FROM groups g), \
               (SELECT coalesce(jsonb_agg(to_jsonb(m) ORDER BY org_id, group_id, user_id), '[]') \
                FROM group_members m), \
               (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY org_id, issuer, subject), '[]') \
                FROM user_identities i), \
               (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY org_id), '[]') \
                FROM org_settings s)) AS rows";
        let tx = client.transaction().await.unwrap();
        let before: Value = tx.query_one(snapshot, &[]).await.unwrap().get("rows");
        usertrail_store::rebuild_all_projections(&tx).await.unwrap();
        let after: Value = tx.query_one(snapshot, &[]).await.unwrap().get("rows");
        tx.rollback().await.unwrap();
        (before, after)
    }

    /// Drops the database without the rebuild check: for tests that tamper
    /// with the log on purpose, after which no rebuild can match.
    pub async fn discard(self) {
        self.pool.close();
        drop_database(&self.database).await;
    }

    /// The URL of this test's database, as the superuser.
    pub fn database_url(&self) -> String {
        with_database(&admin_url(), &self.database)
    }

    /// The database's name, for tests that start a second server on it.
    pub fn database_name(&self) -> &str {
        &self.database
    }

    /// The invariant every test ends with: dropping the projection and
    /// folding the log again gives back exactly the same rows. Then the
    /// database is dropped.
    pub async fn finish(self) {
        let (projection, rebuilt) = self.projection_and_rebuild().await;
        assert_eq!(
            projection, rebuilt,
            "the projection differs from a rebuild from the log"
        );
        self.pool.close();
        drop_database(&self.database).await;
    }
}

async fn create_org(pool: &Pool, slug: &str) -> Org {
    let client = pool.get().await.unwrap();
    let id = OrgId(Uuid::now_v7());
    let now = Clock::System.now();
    usertrail_store::create_organization(&client, id, slug, "Acme Inc.", now)
        .await
        .unwrap();
    let mut secrets = Vec::new();
    let mut scim_token_id = Uuid::nil();
    for (kind, label) in [
        (TokenKind::Scim, "Entra ID"),
        (TokenKind::Service, "product backend"),
        (TokenKind::Auditor, "auditor"),
    ] {
        let secret = generate_secret(kind).unwrap();
        let hash = hash_secret(&secret);
        let token = NewToken {
            id: Uuid::now_v7(),
            org_id: id,
            kind,
            label,
            secret_hash: &hash,
        };
        usertrail_store::create_token(&client, &token, now)
            .await
            .unwrap();
        if kind == TokenKind::Scim {
            scim_token_id = token.id;
        }
        secrets.push(secret);
    }
    Org {
        id,
        scim_token: secrets[0].clone(),
        scim_token_id,
        service_token: secrets[1].clone(),
        auditor_token: secrets[2].clone(),
    }
}

/// Reads a response's JSON body, asserting its status first.
/// The `event_type` of each event of a history (`/users/{id}/events`), in order.
pub fn event_types(history: &Value) -> Vec<&str> {
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event_type"].as_str().unwrap())
        .collect()
}

pub async fn json_with_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// Asserts an RFC 7644 error body with this status and scimType.
pub async fn assert_scim_error(response: Response, status: u16, scim_type: Option<&str>) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/scim+json"),
        "content type {content_type}"
    );
    let body = json_with_status(response, status).await;
    assert_eq!(
        body["schemas"],
        serde_json::json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], status.to_string());
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| !detail.is_empty()),
        "{body}"
    );
    match scim_type {
        Some(expected) => assert_eq!(body["scimType"], expected, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
    body
}

/// The login role the test servers connect as: a member of the service role
/// that migration V8 grants to. Roles are cluster-wide and test processes
/// run at once, so creating it tolerates losing the race.
pub const SERVICE_LOGIN: &str = "ut_service_login";

/// The URL of `database` as the service login role, which is made once.
pub async fn service_url(database: &str) -> String {
    static ROLE: OnceCell<()> = OnceCell::const_new();
    ROLE.get_or_init(|| async {
        template().await;
        admin()
            .await
            .batch_execute(&format!(
                "DO $$ BEGIN CREATE ROLE {SERVICE_LOGIN} LOGIN; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
                 GRANT usertrail_service TO {SERVICE_LOGIN}"
            ))
            .await
            .unwrap();
    })
    .await;
    with_user(&with_database(&admin_url(), database), SERVICE_LOGIN)
}

/// `url` with its user name replaced by `user` (and no password).
pub fn with_user(url: &str, user: &str) -> String {
    let start = url.find("://").map_or(0, |index| index + 3);
    let authority_end = url[start..]
        .find('/')
        .map_or(url.len(), |index| index + start);
    let host_start = url[start..authority_end]
        .rfind('@')
        .map_or(start, |index| index + start + 1);
    format!("{}{user}@{}", &url[..start], &url[host_start..])
}

/// A signing key shared by every test of this process, and a fast sealer.
pub fn audit_settings() -> usertrail_server::config::AuditSettings {
    static KEY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let path = KEY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ut-test-key-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("signing.key");
        usertrail_server::signing::generate_key_files(&path).unwrap();
        path
    });
    usertrail_server::config::AuditSettings {
        signing_key_path: Some(path.clone()),
        seal_interval_ms: 50,
        checkpoint_interval_seconds: 0,
    }
}

pub async fn drop_database(database: &str) {
    admin()
        .await
        .execute(&format!("DROP DATABASE {database} WITH (FORCE)"), &[])
        .await
        .unwrap();
}

/// The settings of a test server connecting through `database_url`.
pub fn server_settings(database_url: String) -> (DatabaseSettings, ServeSettings) {
    let database = DatabaseSettings {
        database_url: Secret::new(database_url),
        migration_database_url: None,
        database_pool_size: 8,
    };
    let serve = ServeSettings {
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        max_body_bytes: 64 * 1024,
        http_workers: 1,
        token_cache_seconds: 5,
        invite_ttl_hours: 168,
        idempotency_key_ttl_hours: 24,
        audit: audit_settings(),
    };
    (database, serve)
}
