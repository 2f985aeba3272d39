// Package httpx holds the small HTTP helpers ballast's APIs share: writing
// JSON bodies and the common error shape
// {"error":{"code":"…","message":"…"}}, and parsing the Range header of
// downloads (one parser for the LFS and OCI servers).
package httpx
