//! The service refuses to start with a database role that could change or
//! remove the log, and says which grant to take away.

use usertrail_server::Clock;
use usertrail_server::startup::Application;

use crate::helpers::{
    SERVICE_LOGIN, TestApp, server_settings as settings, service_url, with_database,
};

async fn start_error(url: String) -> String {
    let (database, serve) = settings(url);
    match Application::build(&database, &serve, Clock::System).await {
        Ok(_) => panic!("the server started with excess privileges"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test]
async fn the_server_refuses_a_role_that_may_update_the_log_and_names_the_grant_to_revoke() {
    let app = TestApp::spawn().await;
    app.client()
        .await
        .batch_execute(&format!(
            "GRANT UPDATE, DELETE ON user_events TO {SERVICE_LOGIN}"
        ))
        .await
        .unwrap();

    let message = start_error(service_url(app.database_name()).await).await;
    assert!(message.contains("refusing to run"), "{message}");
    assert!(
        message.contains(&format!(
            "REVOKE UPDATE ON user_events FROM {SERVICE_LOGIN}"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "REVOKE DELETE ON user_events FROM {SERVICE_LOGIN}"
        )),
        "{message}"
    );
    assert!(!message.contains("group_events"), "{message}");

    app.client()
        .await
        .batch_execute(&format!(
            "REVOKE UPDATE, DELETE ON user_events FROM {SERVICE_LOGIN}"
        ))
        .await
        .unwrap();
    let (database, serve) = settings(service_url(app.database_name()).await);
    assert!(
        Application::build(&database, &serve, Clock::System)
            .await
            .is_ok()
    );

    app.finish().await;
}

#[tokio::test]
async fn the_server_refuses_the_superuser() {
    let app = TestApp::spawn().await;
    let url = std::env::var("TEST_DATABASE_URL").unwrap();
    let message = start_error(with_database(&url, app.database_name())).await;
    assert!(message.contains("TRUNCATE on ledger"), "{message}");
    assert!(message.contains("is not a superuser"), "{message}");
    app.finish().await;
}

#[tokio::test]
async fn the_service_role_may_append_to_the_log_but_not_change_it() {
    let app = TestApp::spawn().await;
    let privileges: Vec<(String, bool, bool, bool)> = app
        .client()
        .await
        .query(
            "SELECT t, has_table_privilege($1, t, 'INSERT'), has_table_privilege($1, t, 'UPDATE'), \
               has_table_privilege($1, t, 'TRUNCATE') \
             FROM unnest(ARRAY['user_events', 'group_events', 'ledger', 'ledger_checkpoints', \
               'audit_access_log', 'users']) AS t ORDER BY t",
            &[&SERVICE_LOGIN],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect();
    for (table, insert, update, truncate) in &privileges {
        assert!(insert, "{table}");
        assert!(!truncate, "{table}");
        assert_eq!(
            *update,
            table == "users",
            "{table}: only projections may be updated"
        );
    }
    app.finish().await;
}
