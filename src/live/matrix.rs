//! `acl:matrix --live`: filled in below.
