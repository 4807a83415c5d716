//! The panel as an admin uses it: signing in, the users table with its badges, dates and
//! filters, a user's timeline and as-of view, the overview, and the sign-in errors.

use fantoccini::Locator;
use serde_json::{Value, json};
use time::{Duration, UtcOffset};
use usertrail_domain::Source;

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::seed;

const USER_ROWS: &str = "document.querySelectorAll('#users tbody tr[data-user-id]')";

async fn sign_in(browser: &Browser, app: &TestApp, token: &str) {
    browser.client.goto(&app.url("/ui/")).await.unwrap();
    let input = browser.find("#token").await;
    input.send_keys(token).await.unwrap();
    browser
        .find("form.signin button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
}

fn label(source: Source) -> &'static str {
    match source {
        Source::Scim => "SCIM",
        Source::Invite => "Invite",
        Source::SelfRegistration => "Self-registered",
        Source::Sso => "SSO",
        Source::EmailDomain => "Email domain",
        Source::Admin => "Admin",
        Source::Api => "API",
        Source::SelfService => "Self-service",
        Source::System => "System",
    }
}

#[tokio::test]
async fn the_users_table_shows_each_doors_badge_and_dates_and_filters_by_scim() {
    let app = TestApp::spawn().await;
    let users = seed::every_door(&app).await;
    let browser = Browser::start().await;
    sign_in(&browser, &app, &app.org.service_token).await;
    browser
        .until(
            "every user is listed",
            &format!("{USER_ROWS}.length === {}", users.len()),
        )
        .await;

    for user in &users {
        let row = format!("#users tr[data-user-id='{}']", user.id);
        let badge = browser
            .find(&format!("{row} td[data-column=created-via] .badge"))
            .await;
        assert_eq!(
            badge.attr("data-source").await.unwrap().unwrap(),
            user.source.as_str()
        );
        assert_eq!(badge.text().await.unwrap(), label(user.source));
    }
    // Relative dates, with the exact time in the viewer's zone (the browser runs in Tokyo).
    let dora = &users[3];
    let created = browser
        .find(&format!(
            "#users tr[data-user-id='{}'] td:nth-child(6) time",
            dora.id
        ))
        .await;
    assert_eq!(created.text().await.unwrap(), "3 days ago");
    let stored = app.projection_row(&dora.id).await.unwrap();
    let at = time::OffsetDateTime::parse(
        stored["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .to_offset(UtcOffset::from_hms(9, 0, 0).unwrap());
    let clock = format!(
        "{}:{:02}:{:02}",
        (at.hour() + 11) % 12 + 1,
        at.minute(),
        at.second()
    );
    let title = created.attr("title").await.unwrap().unwrap();
    assert!(title.contains(&clock), "{title:?} shows {clock} Tokyo time");
    // The pending invitation: its status and role.
    let pat = format!("#users tr[data-user-id='{}']", users[8].id);
    let status = browser.find(&format!("{pat} td[data-status]")).await;
    assert_eq!(status.text().await.unwrap(), "Pending invite");
    let role = browser.find(&format!("{pat} td:nth-child(4)")).await;
    assert_eq!(role.text().await.unwrap(), "editor");
    let adam = browser
        .find(&format!(
            "#users tr[data-user-id='{}'] td:nth-child(6) time",
            users[4].id
        ))
        .await;
    assert_eq!(adam.text().await.unwrap(), "yesterday");
    browser.screenshot("users-table").await;

    browser
        .find("#source")
        .await
        .select_by_value("scim")
        .await
        .unwrap();
    browser
        .until(
            "only the two SCIM users are left",
            &format!("{USER_ROWS}.length === 2"),
        )
        .await;
    let sources = browser
        .eval(&format!(
            "[...{USER_ROWS}].map(row => \
             row.querySelector('[data-column=created-via] .badge').dataset.source)"
        ))
        .await;
    assert_eq!(sources, json!(["scim", "scim"]));

    browser.close().await;
    app.finish().await;
}

#[tokio::test]
async fn the_user_page_shows_the_timeline_with_diffs_and_the_as_of_view() {
    let app = TestApp::spawn().await;
    let ivy = seed::via(&app, Source::Invite, "Ivy", Duration::days(10)).await;
    seed::retitle(&app, &ivy, Source::Admin, "Engineer", Duration::days(4)).await;
    seed::scim_retitle(&app, &ivy, "Lead").await;
    let browser = Browser::start().await;
    sign_in(&browser, &app, &app.org.service_token).await;
    browser.find("#users tbody tr[data-user-id]").await;

    browser
        .find(&format!("#users tr[data-user-id='{}'] a", ivy.id))
        .await
        .click()
        .await
        .unwrap();
    // The timeline is the log, newest first: invited, accepted, the admin's change, then
    // the identity provider's first write, which adopts the user and changes the title.
    let history = app.user_history(&ivy.id).await;
    let logged: Vec<Value> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|event| json!([event["source"], event["event_type"]]))
        .collect();
    assert_eq!(
        logged
            .iter()
            .map(|pair| pair[0].clone())
            .collect::<Vec<_>>(),
        ["scim", "admin", "invite", "invite"]
    );
    browser
        .until(
            "the timeline shows every event",
            &format!(
                "document.querySelectorAll('.timeline > li').length === {}",
                logged.len()
            ),
        )
        .await;
    let shown = browser
        .eval(
            "[...document.querySelectorAll('.timeline > li')]\
             .map(li => [li.dataset.source, li.dataset.eventType])",
        )
        .await;
    assert_eq!(shown, Value::Array(logged));
    let cells = |index: usize| {
        format!(
            "[...document.querySelectorAll('.timeline > li:nth-child({index}) .changes tbody td')]\
             .map(td => td.textContent)"
        )
    };
    let admin = browser.eval(&cells(2)).await;
    assert_eq!(admin, json!(["title", "(none)", "Engineer"]));
    // Adopted: from then on the identity provider owns the identity fields, which the
    // adoption's own row marks; the title changes hands plainly.
    let adoption = browser.eval(&cells(1)).await;
    let adoption: Vec<&str> = adoption
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| cell.as_str().unwrap())
        .collect();
    let title = adoption.iter().position(|cell| *cell == "title").unwrap();
    assert_eq!(&adoption[title..title + 3], ["title", "Engineer", "Lead"]);
    assert!(adoption.contains(&"idp_managed"), "{adoption:?}");
    let owned = browser
        .eval("document.querySelectorAll('.timeline > li:nth-child(2) .owned').length")
        .await;
    assert_eq!(owned, json!(0), "nothing was IdP-owned before the adoption");
    browser.screenshot("user-page").await;

    // As of a week ago: before the admin's change, so no title.
    set_as_of(&browser, Duration::days(7)).await;
    browser
        .until(
            "the as-of view shows",
            "document.getElementById('state-title')?.textContent.startsWith('As of')",
        )
        .await;
    let attributes = browser.find("#attributes").await.text().await.unwrap();
    assert!(
        !attributes.contains("title"),
        "no title a week ago: {attributes}"
    );
    assert!(attributes.contains("ivy@example.com"), "{attributes}");
    // As of two days ago: the admin's title, not yet SCIM's.
    set_as_of(&browser, Duration::days(2)).await;
    browser
        .until(
            "the second as-of view shows",
            "document.getElementById('attributes')?.textContent.includes('Engineer')",
        )
        .await;
    let attributes = browser.find("#attributes").await.text().await.unwrap();
    assert!(!attributes.contains("Lead"), "{attributes}");

    browser.close().await;
    app.finish().await;
}

/// Picks a time `age` ago in the as-of picker, in the browser's local time, and shows it.
async fn set_as_of(browser: &Browser, age: Duration) {
    let seconds = age.whole_seconds();
    browser
        .client
        .execute(
            "const d = new Date(Date.now() - arguments[0] * 1000);
             const p = (n) => String(n).padStart(2, '0');
             document.getElementById('as-of').value =
               `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
               `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;",
            vec![json!(seconds)],
        )
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.asof button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_overview_stacks_changes_by_source_and_shows_scim_token_activity() {
    let app = TestApp::spawn().await;
    seed::every_door(&app).await;
    let browser = Browser::start().await;
    sign_in(&browser, &app, &app.org.service_token).await;
    browser.find("#users tbody tr[data-user-id]").await;

    browser
        .find("a[data-nav=overview]")
        .await
        .click()
        .await
        .unwrap();
    browser.find(".chart svg").await;
    let sources = browser
        .eval(
            "[...new Set([...document.querySelectorAll('.chart svg rect[data-source]')]\
             .map(r => r.dataset.source))].sort()",
        )
        .await;
    assert_eq!(
        sources,
        json!([
            "admin",
            "api",
            "email_domain",
            "invite",
            "scim",
            "self_registration",
            "sso"
        ])
    );
    let token = browser.find("#tokens tbody tr").await.text().await.unwrap();
    assert!(token.starts_with("Entra ID"), "{token}");
    let requests = browser
        .eval("document.querySelector('#tokens tbody tr td:nth-child(3)').textContent")
        .await;
    assert_eq!(requests, json!("2"), "the two SCIM creates of the seed");
    browser.screenshot("overview").await;

    browser.close().await;
    app.finish().await;
}

#[tokio::test]
async fn a_bad_token_is_refused_at_sign_in_with_a_reason_a_person_understands() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;

    sign_in(&browser, &app, "ut_service_not-a-real-token").await;
    browser
        .until(
            "the sign-in error shows",
            "document.getElementById('signin-error')?.textContent.includes('not valid')",
        )
        .await;
    let message = browser.find("#signin-error").await.text().await.unwrap();
    assert_eq!(
        message,
        "This token is not valid or has been revoked. Sign in with another one."
    );
    assert_eq!(browser.eval("sessionStorage.length").await, json!(0));

    sign_in(&browser, &app, &app.org.scim_token).await;
    browser
        .until(
            "the permission error shows",
            "document.getElementById('signin-error')?.textContent.includes('service or auditor')",
        )
        .await;

    browser.close().await;
    app.finish().await;
}

#[tokio::test]
async fn the_link_make_run_prints_signs_in_and_drops_the_token_from_the_address() {
    let app = TestApp::spawn().await;
    seed::scim(&app, "Sid").await;
    let browser = Browser::start().await;

    let link = app.url(&format!("/ui/#token={}", app.org.auditor_token));
    browser.client.goto(&link).await.unwrap();
    browser
        .until(
            "the users table shows",
            &format!("{USER_ROWS}.length === 1"),
        )
        .await;
    let address = browser.client.current_url().await.unwrap();
    assert!(!address.as_str().contains("token"), "{address}");

    browser.close().await;
    app.finish().await;
}
