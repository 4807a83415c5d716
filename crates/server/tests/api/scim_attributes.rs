//! `attributes` / `excludedAttributes` over HTTP (RFC 7644 §3.4.2.5, §3.9) on every SCIM
//! response that carries a User: GET one, GET list, POST, PUT and PATCH.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn ada() -> Value {
    json!({
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "displayName": "Ada Lovelace",
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        ENTERPRISE: {"department": "Engineering", "costCenter": "42"},
    })
}

fn keys(resource: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = resource
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.scim(Method::GET, path).send().await.unwrap();
    json_with_status(response, 200).await
}

#[tokio::test]
async fn get_with_attributes_returns_only_those_plus_id_and_schemas() {
    let app = TestApp::spawn().await;
    let id = app.create_user(ada()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let user = get(
        &app,
        &format!("/Users/{id}?attributes=userName,name.givenName"),
    )
    .await;
    assert_eq!(keys(&user), ["id", "name", "schemas", "userName"]);
    assert_eq!(user["name"], json!({"givenName": "Ada"}));
    assert_eq!(user["id"], id.as_str());

    let path = format!("/Users/{id}?attributes={ENTERPRISE}:department");
    let user = get(&app, &path).await;
    assert_eq!(keys(&user), ["id", "schemas", ENTERPRISE]);
    assert_eq!(user[ENTERPRISE], json!({"department": "Engineering"}));

    app.finish().await;
}

#[tokio::test]
async fn get_with_excluded_attributes_drops_them_but_never_the_id() {
    let app = TestApp::spawn().await;
    let id = app.create_user(ada()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path =
        format!("/Users/{id}?excludedAttributes=emails,meta,id,name.familyName,{ENTERPRISE}");
    let user = get(&app, &path).await;
    assert_eq!(
        keys(&user),
        ["active", "displayName", "id", "name", "schemas", "userName"]
    );
    assert_eq!(user["name"], json!({"givenName": "Ada"}));

    app.finish().await;
}

#[tokio::test]
async fn a_list_projects_every_resource_and_still_filters_on_hidden_attributes() {
    let app = TestApp::spawn().await;
    app.create_user(ada()).await;
    app.create_user(json!({"userName": "grace@example.com", "displayName": "Grace"}))
        .await;

    let response = app
        .scim(Method::GET, "/Users")
        .query(&[
            ("filter", "displayName pr"),
            ("attributes", "emails.value"),
            ("sortBy", "userName"),
        ])
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(page["totalResults"], 2);
    let resources = page["Resources"].as_array().unwrap();
    assert_eq!(keys(&resources[0]), ["emails", "id", "schemas"]);
    assert_eq!(
        resources[0]["emails"],
        json!([{"value": "ada@example.com"}])
    );
    assert_eq!(keys(&resources[1]), ["id", "schemas"]);

    app.finish().await;
}

#[tokio::test]
async fn writes_return_the_projection_but_store_the_whole_user() {
    let app = TestApp::spawn().await;

    let response = app
        .scim(Method::POST, "/Users?attributes=userName")
        .json(&ada())
        .send()
        .await
        .unwrap();
    let created = json_with_status(response, 201).await;
    assert_eq!(keys(&created), ["id", "schemas", "userName"]);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&app, &format!("/Users/{id}")).await["name"]["familyName"],
        "Lovelace"
    );

    let mut replacement = ada();
    replacement["displayName"] = json!("Countess of Lovelace");
    let response = app
        .scim(
            Method::PUT,
            &format!("/Users/{id}?excludedAttributes=name,emails,meta"),
        )
        .json(&replacement)
        .send()
        .await
        .unwrap();
    let replaced = json_with_status(response, 200).await;
    assert_eq!(replaced["displayName"], "Countess of Lovelace");
    assert_eq!(replaced.get("name"), None);
    assert_eq!(replaced.get("meta"), None);

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Countess"}]
    });
    let response = app
        .scim(
            Method::PATCH,
            &format!("/Users/{id}?attributes=title,meta.version"),
        )
        .json(&patch)
        .send()
        .await
        .unwrap();
    let patched = json_with_status(response, 200).await;
    assert_eq!(keys(&patched), ["id", "meta", "schemas", "title"]);
    assert_eq!(patched["meta"], json!({"version": "W/\"3\""}));

    app.finish().await;
}

#[tokio::test]
async fn an_unknown_attribute_is_400_invalid_value_and_writes_nothing() {
    let app = TestApp::spawn().await;

    let response = app
        .scim(Method::POST, "/Users?attributes=userName,favouriteColour")
        .json(&ada())
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidValue")).await;
    assert_eq!(app.event_count().await, 0);

    let response = app
        .scim(
            Method::GET,
            "/Users?attributes=userName&excludedAttributes=emails",
        )
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidValue")).await;

    app.finish().await;
}
