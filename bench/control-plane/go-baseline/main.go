// An ADS server built on go-control-plane's snapshot cache, the baseline of
// `npm run bench:control-plane`. It serves resources meshsim's control plane translated (the
// same encoded bytes, decoded into Envoy's Go types) to the same simulated proxies, and reports
// when every proxy has ACKed every type a version changed, like the meshsim side of the
// benchmark. Each type has its own version, so a change re-sends only the types it touches.
//
//	xds-baseline <proxies> <snapshot.json>
//
// Prints {"port":N} once serving on 127.0.0.1, then, per version, {"version":V,"times":[ms...]}
// once all proxies ACKed it (ms since the snapshot was set). A stdin line `set <snapshot.json>`
// replaces the snapshot; stdin closing stops the server.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// One group for every node: all simulated proxies share one snapshot, as sidecars of one
// cluster do in a go-control-plane server hashing by cluster.
type sharedHash struct{}

func (sharedHash) ID(*corev3.Node) string { return "bench" }

type dumpedResource struct {
	Type  string `json:"type"`
	Value []byte `json:"value"`
}

type dump struct {
	Version   string           `json:"version"`
	Resources []dumpedResource `json:"resources"`
}

func newMessage(typeURL string) (types.Resource, error) {
	switch typeURL {
	case resource.ClusterType:
		return &clusterv3.Cluster{}, nil
	case resource.EndpointType:
		return &endpointv3.ClusterLoadAssignment{}, nil
	case resource.ListenerType:
		return &listenerv3.Listener{}, nil
	case resource.RouteType:
		return &routev3.RouteConfiguration{}, nil
	}
	return nil, fmt.Errorf("unsupported resource type %s", typeURL)
}

// typeVersions gives each resource type its own version, as a careful go-control-plane server
// does: a type whose bytes did not change keeps the version it had, so the snapshot cache does
// not send it again. (cachev3.NewSnapshot stamps one version on every type, and then every
// change re-sends everything to every proxy.)
type typeVersions struct {
	digests  map[string][32]byte
	versions map[string]string
}

// loadSnapshot reads a dumped configuration and returns its snapshot, its version and the types
// that changed since the previous one, with their new versions.
func (tv *typeVersions) loadSnapshot(path string) (*cachev3.Snapshot, string, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", nil, err
	}
	var d dump
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", path, err)
	}
	byType := map[resource.Type][]types.Resource{}
	hashes := map[string]hash.Hash{}
	for i, r := range d.Resources {
		m, err := newMessage(r.Type)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: resources[%d]: %w", path, i, err)
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			return nil, "", nil, fmt.Errorf("%s: resources[%d]: %w", path, i, err)
		}
		byType[r.Type] = append(byType[r.Type], m)
		h := hashes[r.Type]
		if h == nil {
			h = sha256.New()
			hashes[r.Type] = h
		}
		h.Write(r.Value)
	}
	changed := map[string]string{}
	snap := &cachev3.Snapshot{}
	for typ, items := range byType {
		var digest [32]byte
		copy(digest[:], hashes[typ].Sum(nil))
		if old, ok := tv.digests[typ]; !ok || old != digest {
			tv.digests[typ] = digest
			tv.versions[typ] = d.Version
			changed[typ] = d.Version
		}
		snap.Resources[cachev3.GetResponseType(typ)] = cachev3.NewResources(tv.versions[typ], items)
	}
	return snap, d.Version, changed, nil
}

// ackTracker records, for the target version, when each proxy has ACKed all four types.
type ackTracker struct {
	mu       sync.Mutex
	proxies  int
	target   string
	types    map[string]string
	start    time.Time
	nodes    map[int64]string
	partial  map[string]map[string]bool
	done     map[string]float64
	reported bool
}

// expect starts timing `version`, whose changed types (type URL → version) every proxy must ACK.
func (t *ackTracker) expect(version string, types map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.target = version
	t.types = types
	t.start = time.Now()
	t.partial = map[string]map[string]bool{}
	t.done = map[string]float64{}
	t.reported = false
}

func (t *ackTracker) onRequest(stream int64, req *discoveryv3.DiscoveryRequest) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if req.GetNode().GetId() != "" {
		t.nodes[stream] = req.GetNode().GetId()
	}
	if req.GetResponseNonce() == "" || req.GetErrorDetail() != nil || req.GetVersionInfo() != t.types[req.GetTypeUrl()] {
		return nil
	}
	id := t.nodes[stream]
	if _, finished := t.done[id]; finished {
		return nil
	}
	seen := t.partial[id]
	if seen == nil {
		seen = map[string]bool{}
		t.partial[id] = seen
	}
	seen[req.GetTypeUrl()] = true
	if len(seen) == len(t.types) {
		t.done[id] = float64(time.Since(t.start).Microseconds()) / 1000
		if len(t.done) == t.proxies && !t.reported {
			t.reported = true
			times := make([]float64, 0, len(t.done))
			for _, ms := range t.done {
				times = append(times, ms)
			}
			line, _ := json.Marshal(map[string]any{"version": t.target, "times": times})
			fmt.Println(string(line))
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "xds-baseline: %v\n", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail(fmt.Errorf("usage: xds-baseline <proxies> <snapshot.json>"))
	}
	proxies, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fail(fmt.Errorf("proxies: %w", err))
	}
	ctx := context.Background()
	snapshots := cachev3.NewSnapshotCache(true, sharedHash{}, nil)
	tracker := &ackTracker{proxies: proxies, nodes: map[int64]string{}}
	versions := &typeVersions{digests: map[string][32]byte{}, versions: map[string]string{}}
	set := func(path string) {
		snap, version, changed, err := versions.loadSnapshot(path)
		if err != nil {
			fail(err)
		}
		tracker.expect(version, changed)
		if err := snapshots.SetSnapshot(ctx, "bench", snap); err != nil {
			fail(err)
		}
	}
	set(os.Args[2])

	grpcServer := grpc.NewServer(grpc.MaxConcurrentStreams(100_000))
	xds := serverv3.NewServer(ctx, snapshots, serverv3.CallbackFuncs{StreamRequestFunc: tracker.onRequest})
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(grpcServer, xds)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() { _ = grpcServer.Serve(lis) }()
	fmt.Printf("{\"port\":%d}\n", lis.Addr().(*net.TCPAddr).Port)

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if path, ok := strings.CutPrefix(in.Text(), "set "); ok {
			set(path)
		}
	}
	grpcServer.Stop()
}
