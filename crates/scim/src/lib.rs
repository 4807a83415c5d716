//! Pure SCIM 2.0 protocol pieces (RFC 7643, RFC 7644): errors, the User and
//! Group schemas, body parsing, resource rendering, the filter grammar and the
//! PATCH engine. No I/O happens here, so all of it is tested without a server
//! or a database.

pub mod bulk;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod group;
pub mod patch;
pub mod resource;
pub mod schema;
pub mod search;
pub mod sort;
pub mod user;

pub use error::{ScimError, ScimType};
pub use filter::{
    AttrPath, CompValue, CompareOp, Filter, MAX_FILTER_DEPTH, MAX_FILTER_LEN, PatchPath,
    parse_filter, parse_patch_path,
};
pub use group::{GroupInput, parse_group, validate_group_attributes};
pub use patch::{PatchOp, PatchOperation, PatchRequest};
pub use resource::{AttributeSelection, Meta, list_response, render_resource, render_user};
pub use schema::{
    AttrType, AttributeDef, AttributeReference, ENTERPRISE_USER_SCHEMA, ERROR_SCHEMA,
    GROUP_ATTRIBUTES, GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, Mutability, PATCH_OP_SCHEMA,
    ResolvedAttribute, ResourceKind, Returned, SEARCH_REQUEST_SCHEMA, SchemaPart, USER_SCHEMA,
    Uniqueness, enterprise_user_attribute, parse_attribute_reference, parse_attribute_reference_in,
    resolve_attribute, resolve_attribute_in, user_attribute,
};
pub use search::{SearchRequest, filter_fits};
pub use sort::{SortBy, parse_sort_order};
pub use user::{UserInput, parse_user, validate_user_attributes};
