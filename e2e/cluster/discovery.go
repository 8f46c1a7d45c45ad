package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// apiResource is one entry of a discovery document (APIResourceList).
type apiResource struct {
	Name       string `json:"name"` // plural, e.g. "pods"; "pods/status" for subresources
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced"`
}

// resolver maps apiVersion/kind to resources for one Apply call.
type resolver struct {
	c     *Cluster
	cache map[string][]apiResource // discovery by apiVersion
	fresh map[string]bool          // "apiVersion kind" of CRDs established by this call
}

// resource finds kind in apiVersion's discovery. When it is missing but an
// existing CustomResourceDefinition defines it, it waits for the API server
// to serve it. fresh reports that the kind's CRD is new (just established
// or waited for): creating its objects may still fail for a moment.
func (r *resolver) resource(ctx context.Context, apiVersion, kind string) (_ apiResource, fresh bool, _ error) {
	deadline := time.Now().Add(crdServeTimeout)
	fresh = r.fresh[apiVersion+" "+kind]
	for waited := false; ; waited = true {
		list, ok := r.cache[apiVersion]
		if !ok {
			var err error
			if list, err = r.c.discover(ctx, apiVersion); err != nil && !errors.Is(err, ErrNotFound) {
				return apiResource{}, false, fmt.Errorf("discover kinds of %s: %w", apiVersion, err)
			}
			r.cache[apiVersion] = list
		}
		for _, res := range list {
			if res.Kind == kind && !strings.Contains(res.Name, "/") {
				return res, fresh || waited, nil
			}
		}
		delete(r.cache, apiVersion)
		if !waited {
			defined, err := r.c.crdDefines(ctx, apiVersion, kind)
			if err != nil {
				return apiResource{}, false, err
			}
			if !defined {
				return apiResource{}, false, fmt.Errorf("kind %q of apiVersion %q is not served by the API server: not built in, and no CustomResourceDefinition defines it", kind, apiVersion)
			}
		}
		if time.Now().After(deadline) {
			return apiResource{}, false, fmt.Errorf("kind %q of apiVersion %q: a CustomResourceDefinition defines it, but the API server did not serve it within %s", kind, apiVersion, crdServeTimeout)
		}
		select {
		case <-ctx.Done():
			return apiResource{}, false, fmt.Errorf("waiting for kind %q of apiVersion %q to be served: %w", kind, apiVersion, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// discover GETs the discovery document of apiVersion ("v1" or "group/version").
func (c *Cluster) discover(ctx context.Context, apiVersion string) ([]apiResource, error) {
	var list struct {
		Resources []apiResource `json:"resources"`
	}
	err := c.Get(ctx, groupVersionPath(apiVersion), &list)
	return list.Resources, err
}

// crdDefines reports whether a CustomResourceDefinition serves kind in apiVersion.
func (c *Cluster) crdDefines(ctx context.Context, apiVersion, kind string) (bool, error) {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return false, nil // the core group has no CRDs
	}
	var list struct {
		Items []struct {
			Spec crdSpec
		}
	}
	if err := c.Get(ctx, crdPath, &list); err != nil {
		return false, fmt.Errorf("list CustomResourceDefinitions: %w", err)
	}
	for _, crd := range list.Items {
		if crd.Spec.Group != group || crd.Spec.Names.Kind != kind {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Name == version && v.Served {
				return true, nil
			}
		}
	}
	return false, nil
}

// waitEstablished waits until CRD name is Established (failing early when
// its names are refused) and its kinds are in discovery, and remembers them
// as fresh.
func (r *resolver) waitEstablished(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, crdServeTimeout)
	defer cancel()
	type condition struct{ Type, Status, Message string }
	for {
		var crd struct {
			Spec   crdSpec
			Status struct{ Conditions []condition }
		}
		if err := r.c.Get(ctx, crdPath+"/"+name, &crd); err != nil {
			return fmt.Errorf("wait for CustomResourceDefinition %s: %w", name, err)
		}
		conds := map[string]condition{}
		for _, cd := range crd.Status.Conditions {
			conds[cd.Type] = cd
		}
		if cd, ok := conds["NamesAccepted"]; ok && cd.Status == "False" {
			return fmt.Errorf("CustomResourceDefinition %s: names not accepted: %s", name, cd.Message)
		}
		if conds["Established"].Status == "True" {
			for _, v := range crd.Spec.Versions {
				if !v.Served {
					continue
				}
				apiVersion := crd.Spec.Group + "/" + v.Name
				r.fresh[apiVersion+" "+crd.Spec.Names.Kind] = true
				if _, _, err := r.resource(ctx, apiVersion, crd.Spec.Names.Kind); err != nil {
					return fmt.Errorf("CustomResourceDefinition %s is Established: %w", name, err)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CustomResourceDefinition %s not Established: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// groupVersionPath is "/api/v1" for the core group, "/apis/<g>/<v>" otherwise.
func groupVersionPath(apiVersion string) string {
	if apiVersion == "v1" {
		return "/api/v1"
	}
	return "/apis/" + apiVersion
}

// collectionPath is the REST path of a resource's objects, in ns if not "".
func collectionPath(apiVersion, resource, ns string) string {
	p := groupVersionPath(apiVersion)
	if ns != "" {
		p += "/namespaces/" + ns
	}
	return p + "/" + resource
}

// crdSpec is the part of a CustomResourceDefinition's spec discovery reads.
type crdSpec struct {
	Group    string
	Names    struct{ Kind string }
	Versions []struct {
		Name   string
		Served bool
	}
}
