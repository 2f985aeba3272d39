// Package httpx holds the small HTTP helpers ballast's JSON APIs share:
// writing JSON bodies and the common error shape
// {"error":{"code":"…","message":"…"}}.
package httpx
