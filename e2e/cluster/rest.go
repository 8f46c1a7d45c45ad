package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrNotFound matches (errors.Is) an API answer 404 Not Found.
var ErrNotFound = errors.New("not found")

// ErrAlreadyExists matches (errors.Is) an API answer 409 AlreadyExists.
var ErrAlreadyExists = errors.New("already exists")

// APIError is a non-2xx answer of the API server.
type APIError struct {
	Method, Path string
	Code         int
	Reason       string // metav1.Status reason, e.g. "NotFound", "Invalid"
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Code, e.Reason, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) and ErrAlreadyExists work.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == http.StatusNotFound
	case ErrAlreadyExists:
		return e.Code == http.StatusConflict && e.Reason == "AlreadyExists"
	}
	return false
}

// Get decodes the object at path (e.g. "/api/v1/namespaces/default/pods/p")
// into out (a pointer; nil discards it).
func (c *Cluster) Get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, "", nil, out)
}

// Patch applies a JSON merge patch (RFC 7386) to the object at path.
func (c *Cluster) Patch(ctx context.Context, path string, mergePatch any) error {
	return c.patch(ctx, path, "application/merge-patch+json", mergePatch)
}

// PatchJSON applies a JSON patch (RFC 6902: a list of operations) to the
// object at path.
func (c *Cluster) PatchJSON(ctx context.Context, path string, ops any) error {
	return c.patch(ctx, path, "application/json-patch+json", ops)
}

// Delete deletes the object at path at once (grace period 0: no kubelet runs
// to finish a graceful deletion, so a Pod bound to a node would stay, marked
// for deletion). ErrNotFound when there is none.
func (c *Cluster) Delete(ctx context.Context, path string) error {
	opts := []byte(`{"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0}`)
	return c.do(ctx, http.MethodDelete, path, "application/json", opts, nil)
}

func (c *Cluster) patch(ctx context.Context, path, contentType string, patch any) error {
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("encode patch for %s: %w", path, err)
	}
	return c.do(ctx, http.MethodPatch, path, contentType, body, nil)
}

// do sends one request with the admin token and decodes a 2xx body into out.
func (c *Cluster) do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.pki.adminToken)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Method: method, Path: path, Code: resp.StatusCode}
		var st struct{ Reason, Message string }
		if json.Unmarshal(data, &st) == nil && st.Message != "" {
			e.Reason, e.Message = st.Reason, st.Message
		} else {
			e.Message = string(bytes.TrimSpace(data))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// retryNotFound calls fn every 200 ms while it fails with ErrNotFound, for at
// most d, and returns its last result.
func retryNotFound(ctx context.Context, d time.Duration, fn func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil || !errors.Is(err, ErrNotFound) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
