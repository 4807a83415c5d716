//! The SCIM discovery endpoints (RFC 7644 §4) over HTTP: public, read-only, and true to what
//! the Users endpoints actually do.

use futures_util::StreamExt;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

const DISCOVERY_PATHS: [&str; 5] = [
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/Schemas",
    "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
];

/// A request without any token: discovery must not need one.
fn anonymous(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    app.http
        .request(method, app.url(&format!("/scim/v2{path}")))
        .header("content-type", "application/scim+json")
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = anonymous(app, Method::GET, path).send().await.unwrap();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/scim+json", "{path}");
    json_with_status(response, 200).await
}

/// A user with a value for every attribute a client may write, extension included.
fn everything() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "grace@example.com", "externalId": "okta-0042",
        "name": {"formatted": "Dr Grace B Hopper", "familyName": "Hopper", "givenName": "Grace",
                 "middleName": "Brewster", "honorificPrefix": "Dr", "honorificSuffix": "PhD"},
        "displayName": "Grace Hopper", "nickName": "Amazing Grace",
        "profileUrl": "https://example.com/grace", "title": "Rear Admiral", "userType": "Employee",
        "preferredLanguage": "en-US", "locale": "en-US", "timezone": "America/New_York",
        "active": true,
        "emails": [{"value": "grace@example.com", "display": "work", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+1 555 0100", "display": "desk", "type": "work", "primary": true}],
        "ims": [{"value": "grace", "display": "chat", "type": "xmpp", "primary": true}],
        "photos": [{"value": "https://example.com/g.png", "display": "g", "type": "photo", "primary": true}],
        "addresses": [{"formatted": "1 Navy Way", "streetAddress": "1 Navy Way", "locality": "Arlington",
                       "region": "VA", "postalCode": "22202", "country": "US", "type": "work",
                       "primary": true}],
        "entitlements": [{"value": "admin", "display": "Admin", "type": "role", "primary": true}],
        "roles": [{"value": "engineer", "display": "Engineer", "type": "job", "primary": true}],
        "x509Certificates": [{"value": "TUlJQw==", "display": "cert", "type": "signing", "primary": true}],
        ENTERPRISE: {"employeeNumber": "1906", "costCenter": "C1", "organization": "US Navy",
                     "division": "Computing", "department": "Programming",
                     "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d",
                                 "$ref": "https://example.com/scim/v2/Users/26118915-6090-4610-87e4-49d8ca9f808d"}},
    })
}

/// The top-level attribute definitions of one schema resource.
fn definitions(schema: &Value) -> &[Value] {
    schema["attributes"].as_array().unwrap()
}

/// Asserts that every key of `object` (recursively, through arrays) is defined in `defs`.
fn assert_described(object: &Value, defs: &[Value], context: &str) {
    for (key, value) in object.as_object().unwrap() {
        let def = defs
            .iter()
            .find(|def| def["name"] == key.as_str())
            .unwrap_or_else(|| panic!("{context}{key} is stored but not described in /Schemas"));
        let values = match value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for item in values.iter().filter(|item| item.is_object()) {
            let subs = def["subAttributes"].as_array().unwrap();
            assert_described(item, subs, &format!("{context}{key}."));
        }
    }
}

#[tokio::test]
async fn service_provider_config_is_public_and_describes_what_the_server_does() {
    let app = TestApp::spawn().await;

    let config = get(&app, "/ServiceProviderConfig").await;

    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], true);
    // The limits that `/Bulk` enforces: 1000 operations, and the body limit of the test app.
    assert_eq!(
        config["bulk"],
        json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 64 * 1024})
    );
    assert_eq!(config["filter"]["supported"], true);
    assert_eq!(config["changePassword"]["supported"], true);
    assert_eq!(config["sort"]["supported"], true);
    assert_eq!(config["etag"]["supported"], true);
    let schemes = config["authenticationSchemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 1);
    assert_eq!(schemes[0]["type"], "oauthbearertoken");
    assert_eq!(schemes[0]["primary"], true);
    assert_eq!(config["meta"]["resourceType"], "ServiceProviderConfig");
    assert_eq!(
        config["meta"]["location"],
        app.url("/scim/v2/ServiceProviderConfig")
    );
    app.finish().await;
}

#[tokio::test]
async fn max_results_is_the_page_size_the_users_list_enforces() {
    let app = TestApp::spawn().await;
    let config = get(&app, "/ServiceProviderConfig").await;
    let max_results = config["filter"]["maxResults"].as_u64().unwrap();
    // One user more than a page may hold, created a few at a time to keep the test quick.
    futures_util::stream::iter(0..=max_results)
        .for_each_concurrent(8, |n| {
            let app = &app;
            async move {
                app.create_user(json!({"userName": format!("user{n}@example.com")}))
                    .await;
            }
        })
        .await;

    let over_the_limit = max_results + 1;
    let response = app
        .scim(Method::GET, &format!("/Users?count={over_the_limit}"))
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;

    assert_eq!(page["totalResults"], over_the_limit);
    assert_eq!(page["itemsPerPage"], max_results);
    assert_eq!(
        page["Resources"].as_array().unwrap().len() as u64,
        max_results
    );
    app.finish().await;
}

#[tokio::test]
async fn resource_types_list_user_with_the_optional_enterprise_extension_and_group() {
    let app = TestApp::spawn().await;

    let list = get(&app, "/ResourceTypes").await;
    let user = get(&app, "/ResourceTypes/User").await;
    let group = get(&app, "/ResourceTypes/Group").await;

    assert_eq!(list["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(list["totalResults"], 2);
    assert_eq!(list["itemsPerPage"], 2);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["Resources"], json!([user.clone(), group.clone()]));
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_SCHEMA);
    assert_eq!(group["schemaExtensions"], json!([]));
    assert_eq!(
        user["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"])
    );
    assert_eq!(user["id"], "User");
    assert_eq!(user["name"], "User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_SCHEMA);
    assert_eq!(
        user["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    assert_eq!(user["meta"]["resourceType"], "ResourceType");
    assert_eq!(
        user["meta"]["location"],
        app.url("/scim/v2/ResourceTypes/User")
    );
    app.finish().await;
}

#[tokio::test]
async fn schemas_describe_every_attribute_a_stored_user_or_group_comes_back_with() {
    let app = TestApp::spawn().await;
    let created = app.create_user(everything()).await;
    let id = created["id"].as_str().unwrap();
    let body = json!({"displayName": "Ops", "externalId": "g-1", "members": [{"value": id}]});
    let mut group = app.create_group(body).await;
    group.as_object_mut().unwrap().remove("schemas");
    let response = app
        .scim(Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    let mut stored = json_with_status(response, 200).await;

    let list = get(&app, "/Schemas").await;
    let core = get(&app, &format!("/Schemas/{USER_SCHEMA}")).await;
    let enterprise = get(&app, &format!("/Schemas/{ENTERPRISE}")).await;
    let group_schema = get(&app, &format!("/Schemas/{GROUP_SCHEMA}")).await;

    assert_eq!(list["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(list["totalResults"], 3);
    assert_eq!(
        list["Resources"],
        json!([core.clone(), enterprise.clone(), group_schema.clone()])
    );
    assert_described(&group, definitions(&group_schema), "group:");
    assert_eq!(core["meta"]["resourceType"], "Schema");
    assert_eq!(
        core["meta"]["location"],
        app.url(&format!("/scim/v2/Schemas/{USER_SCHEMA}"))
    );
    let extension = stored.as_object_mut().unwrap().remove(ENTERPRISE).unwrap();
    stored.as_object_mut().unwrap().remove("schemas");
    assert_described(&stored, definitions(&core), "");
    assert_described(&extension, definitions(&enterprise), "enterprise:");
    app.finish().await;
}

#[tokio::test]
async fn unknown_resource_types_and_schemas_are_404_scim_errors() {
    let app = TestApp::spawn().await;

    for path in [
        "/ResourceTypes/Device",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device",
        "/Schemas/nonsense",
    ] {
        let response = anonymous(&app, Method::GET, path).send().await.unwrap();
        assert_scim_error(response, 404, None).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn writes_to_discovery_endpoints_are_405_scim_errors() {
    let app = TestApp::spawn().await;

    for path in DISCOVERY_PATHS {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let response = app
                .scim(method, path)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_scim_error(response, 405, None).await;
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn a_filter_on_a_discovery_endpoint_is_403_rather_than_ignored() {
    let app = TestApp::spawn().await;

    for path in DISCOVERY_PATHS {
        let filtered = format!("{path}?filter=name%20eq%20%22User%22");
        let response = anonymous(&app, Method::GET, &filtered)
            .send()
            .await
            .unwrap();
        assert_scim_error(response, 403, None).await;
    }
    app.finish().await;
}
