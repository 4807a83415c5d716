use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_ok_with_a_request_id() {
    let app = TestApp::spawn().await;

    for path in ["/healthz", "/readyz"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let request_id = response
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    }

    app.finish().await;
}

#[tokio::test]
async fn an_unknown_path_outside_scim_is_a_json_404() {
    let app = TestApp::spawn().await;

    let response = app.http.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    app.finish().await;
}
