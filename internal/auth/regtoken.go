package auth

// RegistryTokens issues and verifies the short-lived, scoped bearer tokens
// of the registry token flow. (Placeholder: being implemented.)
type RegistryTokens struct{}
