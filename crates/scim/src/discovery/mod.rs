//! The discovery resources of RFC 7644 §4: `ServiceProviderConfig`, `ResourceTypes` and
//! `Schemas` (RFC 7643 §5–7).
//!
//! They are generated from the attribute table and from limits the server passes in, so what
//! a client discovers is what the parser, the PATCH engine and the store actually do; nothing
//! here is a second, hand-written description that could drift.

mod schemas;

use serde_json::{Value, json};

use crate::schema::{
    AttributeDef, ENTERPRISE_USER_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, GROUP_ATTRIBUTES,
    GROUP_SCHEMA, USER_ATTRIBUTES, USER_SCHEMA,
};

pub use schemas::attribute_definition;

pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The limits the server enforces. They are passed in rather than repeated here so that the
/// advertised number and the enforced one are the same constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The most resources one list response returns (`filter.maxResults`).
    pub max_results: u64,
    /// The most operations one bulk request holds (`bulk.maxOperations`).
    pub bulk_max_operations: u64,
    /// The largest bulk request body, in bytes (`bulk.maxPayloadSize`).
    pub bulk_max_payload_size: u64,
}

/// One schema as `/Schemas` describes it (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDescription {
    /// The schema URN, which is also its id under `/Schemas/{id}`.
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

/// A schema extension of a resource type and whether a resource must carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaExtension {
    pub schema: &'static SchemaDescription,
    pub required: bool,
}

/// One resource type as `/ResourceTypes` describes it (RFC 7643 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// The id and the name: RFC 7643's examples use the same word for both.
    pub name: &'static str,
    /// The path under the SCIM base URL, e.g. `/Users`.
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static SchemaDescription,
    pub extensions: &'static [SchemaExtension],
}

// The common attributes `id`, `externalId` and `meta` are in USER_ATTRIBUTES, so they are
// described here too: RFC 7643 §3.1 defines them outside any schema, but a client that reads
// only /Schemas then still learns that `id` is read-only and `externalId` case-exact.
pub const USER_SCHEMA_DESCRIPTION: SchemaDescription = SchemaDescription {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRIBUTES,
};

pub const ENTERPRISE_USER_SCHEMA_DESCRIPTION: SchemaDescription = SchemaDescription {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_USER_ATTRIBUTES,
};

pub const USER_RESOURCE_TYPE: ResourceType = ResourceType {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA_DESCRIPTION,
    extensions: &[SchemaExtension {
        schema: &ENTERPRISE_USER_SCHEMA_DESCRIPTION,
        required: false,
    }],
};

pub const GROUP_SCHEMA_DESCRIPTION: SchemaDescription = SchemaDescription {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRIBUTES,
};

pub const GROUP_RESOURCE_TYPE: ResourceType = ResourceType {
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA_DESCRIPTION,
    extensions: &[],
};

/// Every resource type the server serves. `/Schemas` lists the schemas these use, so a new
/// resource type is advertised by adding its one entry here once its routes exist.
pub const RESOURCE_TYPES: &[ResourceType] = &[USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE];

/// The resource type with this id, matched case-insensitively like attribute names.
pub fn find_resource_type(id: &str) -> Option<&'static ResourceType> {
    RESOURCE_TYPES
        .iter()
        .find(|resource_type| resource_type.name.eq_ignore_ascii_case(id))
}

/// Every schema of every resource type, core schemas and extensions, each once, in order.
pub fn schemas() -> Vec<&'static SchemaDescription> {
    let mut found: Vec<&'static SchemaDescription> = Vec::new();
    let used = RESOURCE_TYPES.iter().flat_map(|resource_type| {
        let extensions = resource_type.extensions.iter().map(|ext| ext.schema);
        std::iter::once(resource_type.schema).chain(extensions)
    });
    for schema in used {
        if !found.iter().any(|known| known.id == schema.id) {
            found.push(schema);
        }
    }
    found
}

/// The schema with this URN, matched case-insensitively as URNs are compared elsewhere.
pub fn find_schema(id: &str) -> Option<&'static SchemaDescription> {
    schemas()
        .into_iter()
        .find(|schema| schema.id.eq_ignore_ascii_case(id))
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5). `base_url` is the SCIM base, e.g.
/// `https://host/scim/v2`.
pub fn service_provider_config(capabilities: &Capabilities, base_url: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": capabilities.bulk_max_operations,
            "maxPayloadSize": capabilities.bulk_max_payload_size,
        },
        "filter": {"supported": true, "maxResults": capabilities.max_results},
        // Passwords are accepted on POST, PUT and PATCH and stored hashed.
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A SCIM token of the organization in the Authorization header",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": meta("ServiceProviderConfig", &format!("{base_url}/ServiceProviderConfig")),
    })
}

/// One entry of `GET /ResourceTypes`, and `GET /ResourceTypes/{id}` (RFC 7643 §6).
pub fn resource_type_resource(resource_type: &ResourceType, base_url: &str) -> Value {
    let extensions: Vec<Value> = resource_type
        .extensions
        .iter()
        .map(|extension| json!({"schema": extension.schema.id, "required": extension.required}))
        .collect();
    let location = format!("{base_url}/ResourceTypes/{}", resource_type.name);
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": resource_type.name,
        "name": resource_type.name,
        "endpoint": resource_type.endpoint,
        "description": resource_type.description,
        "schema": resource_type.schema.id,
        "schemaExtensions": extensions,
        "meta": meta("ResourceType", &location),
    })
}

/// One entry of `GET /Schemas`, and `GET /Schemas/{id}` (RFC 7643 §7).
pub fn schema_resource(schema: &SchemaDescription, base_url: &str) -> Value {
    let attributes: Vec<Value> = schema.attributes.iter().map(attribute_definition).collect();
    let location = format!("{base_url}/Schemas/{}", schema.id);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes,
        "meta": meta("Schema", &location),
    })
}

fn meta(resource_type: &str, location: &str) -> Value {
    json!({"resourceType": resource_type, "location": location})
}

#[cfg(test)]
mod tests;
