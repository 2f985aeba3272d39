package pin

import (
	"cmp"
	"context"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// tokenUser is the user name sent with a ballast token; ballast reads only
// the password.
const tokenUser = "ballast"

// Login is how pin authenticates to registries. Each registry gets the
// first of: Username and Password; Token, when the registry is TokenHost or
// TokenHost is empty; the credentials "docker login" (or "oras login")
// stored for it, when Docker is set.
type Login struct {
	Username, Password string // for every registry, when Password is set
	Token              string // a ballast token, sent as the password
	TokenHost          string // the one registry to send Token to; empty means every registry
	Docker             bool   // also use the Docker config ($DOCKER_CONFIG or ~/.docker/config.json)
}

// Credential returns the credential function for an oras-go auth client.
// The error reports a Docker config that could not be read; the function is
// usable without it.
func (l Login) Credential() (auth.CredentialFunc, error) {
	var fns []auth.CredentialFunc
	if l.Password != "" {
		fns = append(fns, everywhere(auth.Credential{Username: cmp.Or(l.Username, tokenUser), Password: l.Password}))
	}
	if l.Token != "" {
		cred := auth.Credential{Username: tokenUser, Password: l.Token}
		if l.TokenHost == "" {
			fns = append(fns, everywhere(cred))
		} else {
			fns = append(fns, auth.StaticCredential(l.TokenHost, cred))
		}
	}
	var err error
	if l.Docker {
		var store *credentials.DynamicStore
		if store, err = credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
			fns = append(fns, credentials.Credential(store))
		}
	}
	return first(fns), err
}

func everywhere(cred auth.Credential) auth.CredentialFunc {
	return func(context.Context, string) (auth.Credential, error) { return cred, nil }
}

// first returns a credential function that asks each of fns in turn and
// answers with the first credential that is not empty.
func first(fns []auth.CredentialFunc) auth.CredentialFunc {
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		for _, fn := range fns {
			cred, err := fn(ctx, hostport)
			if err != nil || cred != auth.EmptyCredential {
				return cred, err
			}
		}
		return auth.EmptyCredential, nil
	}
}
