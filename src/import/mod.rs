//! Token inventory import: the vendor's PSKC (RFC 6030) or CSV file, validated whole.
