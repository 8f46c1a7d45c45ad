package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"sigs.k8s.io/yaml"
)

const (
	crdKind    = "CustomResourceDefinition"
	crdVersion = "apiextensions.k8s.io/v1"
	crdPath    = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	// crdServeTimeout bounds the wait for a CRD to be Established and then
	// served: its objects can be refused for ~2 s after Established.
	crdServeTimeout = 30 * time.Second
)

// docSeparator is a YAML document separator line ("---", maybe a comment).
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// object is one document of an Apply input.
type object struct {
	doc                               int
	raw                               map[string]any
	apiVersion, kind, name, namespace string
}

func (o *object) String() string {
	return fmt.Sprintf("document %d (%s %s, name %q)", o.doc, o.apiVersion, o.kind, o.name)
}

// Apply creates every object of data, in order: one JSON object, or YAML with
// any number of documents and comments. apiVersion/kind are mapped to the REST
// path through the API server's discovery, so every built-in kind and every
// kind of an established CustomResourceDefinition works; any other kind is an
// error naming it. Namespaced objects without a namespace go to "default".
//
// An object that exists already is replaced (PUT with its current
// resourceVersion); fields the server refuses to change, e.g. most of a
// Pod's spec, make that an error. Creating a Namespace also creates its
// ServiceAccount "default" (no controller-manager runs). After creating a CRD,
// Apply waits until it is Established and served, and retries creating its
// objects while the API server still answers NotFound for them.
func (c *Cluster) Apply(ctx context.Context, data []byte) error {
	objs, err := decodeObjects(data)
	if err != nil {
		return err
	}
	r := &resolver{c: c, cache: map[string][]apiResource{}, fresh: map[string]bool{}}
	for _, o := range objs {
		if err := c.applyObject(ctx, r, o); err != nil {
			return fmt.Errorf("apply %s: %w", o, err)
		}
	}
	return nil
}

func (c *Cluster) applyObject(ctx context.Context, r *resolver, o *object) error {
	res, fresh, err := r.resource(ctx, o.apiVersion, o.kind)
	if err != nil {
		return err
	}
	ns := ""
	if res.Namespaced {
		ns = o.namespace
		if ns == "" {
			ns = "default"
			o.raw["metadata"].(map[string]any)["namespace"] = ns
		}
	}
	coll := collectionPath(o.apiVersion, res.Name, ns)
	body, err := json.Marshal(o.raw)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	create := func() error { return c.do(ctx, http.MethodPost, coll, "application/json", body, nil) }
	if fresh {
		err = retryNotFound(ctx, crdServeTimeout, create)
	} else {
		err = create()
	}
	if errors.Is(err, ErrAlreadyExists) {
		err = c.replace(ctx, coll+"/"+o.name, o.raw)
	}
	if err != nil {
		return err
	}
	switch {
	case o.apiVersion == "v1" && o.kind == "Namespace":
		return c.ensureServiceAccount(ctx, o.name)
	case o.apiVersion == crdVersion && o.kind == crdKind:
		return r.waitEstablished(ctx, o.name)
	}
	return nil
}

// replace PUTs obj over the existing object at path, with its resourceVersion.
func (c *Cluster) replace(ctx context.Context, path string, obj map[string]any) error {
	var cur struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
	}
	if err := c.Get(ctx, path, &cur); err != nil {
		return fmt.Errorf("exists, but cannot be read to replace it: %w", err)
	}
	obj["metadata"].(map[string]any)["resourceVersion"] = cur.Metadata.ResourceVersion
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := c.do(ctx, http.MethodPut, path, "application/json", body, nil); err != nil {
		return fmt.Errorf("exists, and replacing it failed: %w", err)
	}
	return nil
}

// decodeObjects splits data into documents and decodes each non-empty one.
func decodeObjects(data []byte) ([]*object, error) {
	var objs []*object
	for i, doc := range docSeparator.Split(string(data), -1) {
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		var raw map[string]any
		if err := json.Unmarshal(j, &raw); err != nil {
			return nil, fmt.Errorf("document %d is not an object: %w", i+1, err)
		}
		if raw == nil {
			continue // empty, or only comments
		}
		o := &object{doc: i + 1, raw: raw}
		o.apiVersion, _ = raw["apiVersion"].(string)
		o.kind, _ = raw["kind"].(string)
		meta, _ := raw["metadata"].(map[string]any)
		if meta != nil {
			o.name, _ = meta["name"].(string)
			o.namespace, _ = meta["namespace"].(string)
		}
		if o.apiVersion == "" || o.kind == "" || o.name == "" {
			return nil, fmt.Errorf("%s: apiVersion, kind and metadata.name are required", o)
		}
		objs = append(objs, o)
	}
	return objs, nil
}
