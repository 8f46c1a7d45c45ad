// Package conf holds the deployment files of vf-offload (NetworkAttachment
// Definitions, SR-IOV device plugin ConfigMap, example pod, installer
// DaemonSet, its Dockerfile and conf/image.sh, which builds the image with
// buildah for `make image`) and the tests that check them: strict
// decoding into the Kubernetes API types, the CNI configuration as libcni
// and vf-offload read it, and the names the files share with each other.
// It contains no code used by the plugin.
package conf
