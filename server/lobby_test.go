package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

func roomList(t *testing.T, ts *testServer) []RoomInfo {
	t.Helper()
	resp, err := http.Get("http://" + ts.addr + "/rooms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Rooms []RoomInfo }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Rooms
}

func playerCounts(rooms []RoomInfo) []int {
	var n []int
	for _, r := range rooms {
		n = append(n, r.Players)
	}
	return n
}

// waitRooms polls the room list until it shows the wanted player counts, within a deadline.
func waitRooms(t *testing.T, ts *testServer, want ...int) []RoomInfo {
	t.Helper()
	var rooms []RoomInfo
	if !eventually(func() bool { rooms = roomList(t, ts); return slices.Equal(playerCounts(rooms), want) }) {
		t.Fatalf("rooms hold %v players, want %v", playerCounts(rooms), want)
	}
	return rooms
}

func dialPath(t *testing.T, ts *testServer, query string) (*netcode.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, ts.wsURL()+query, "p", netcode.DialOptions{})
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestPlacementFillsRoomsThenCreates(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-players", "2"))
	for range 3 {
		if _, err := dialPath(t, ts, ""); err != nil {
			t.Fatal(err)
		}
	}
	waitRooms(t, ts, 2, 1) // the first room filled, then a second opened
	if _, err := dialPath(t, ts, ""); err != nil {
		t.Fatal(err)
	}
	rooms := waitRooms(t, ts, 2, 2) // the fourth went to the room with space, not a new one
	for _, r := range rooms {
		if len(r.ID) != 8 || strings.Trim(r.ID, roomIDAlphabet) != "" || r.MaxPlayers != 2 || r.Tick == 0 || r.TickP99MS < 0 {
			t.Errorf("room list entry %+v: want an 8-character id, max_players 2, a running tick", r)
		}
	}

	// Joining by id reaches that room, and a full one refuses with 1013.
	_, err := dialPath(t, ts, "?room="+rooms[0].ID)
	if code := netcode.CloseCodeOf(err); code != netcode.CloseTryAgainLater {
		t.Errorf("joining a full room by id: %v, want 1013", err)
	}
	_, err = dialPath(t, ts, "?room=nosuchroom")
	if code := netcode.CloseCodeOf(err); code != netcode.CloseNoSuchRoom {
		t.Errorf("joining an unknown room: %v, want 4002", err)
	}
}

// TestPlacementOfPlayersArrivingAtOnce places players who arrive together: each takes a slot
// in the fullest room with space or opens a new room, and none is refused as "room full".
func TestPlacementOfPlayersArrivingAtOnce(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-players", "2"))
	if _, err := dialPath(t, ts, ""); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, ts, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 7)
	for range 7 {
		wg.Go(func() {
			_, err := dialPath(t, ts, "")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a player arriving with others: %v", err)
		}
	}
	waitRooms(t, ts, 2, 2, 2, 2)
}

func TestPrivateRoomsAreNotListed(t *testing.T) {
	ts := startServer(t, testConfig(t))
	if _, err := dialPath(t, ts, "?create=1&private=1"); err != nil {
		t.Fatal(err)
	}
	if _, err := dialPath(t, ts, "?create=1"); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, ts, 1) // only the public one
	var private *Room
	for _, r := range ts.server.lobby.Rooms() {
		if r.private {
			private = r
		}
	}
	if private == nil {
		t.Fatal("no private room")
	}
	// A plain join is not placed in the private room, but its id lets a friend in.
	if _, err := dialPath(t, ts, ""); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, ts, 2)
	if _, err := dialPath(t, ts, "?room="+private.id); err != nil {
		t.Fatal(err)
	}
	if !eventually(func() bool { return private.Players() == 2 }) {
		n := private.Players()
		t.Errorf("private room has %d players, want 2", n)
	}
}

func TestEmptyRoomsClose(t *testing.T) {
	ts := startServer(t, testConfig(t, "-room-idle-timeout", "1m"))
	c, err := dialPath(t, ts, "")
	if err != nil {
		t.Fatal(err)
	}
	rooms := waitRooms(t, ts, 1)
	ts.server.lobby.Reap(time.Now().Add(time.Hour))
	if len(roomList(t, ts)) != 1 {
		t.Fatal("a room with a player was closed")
	}
	if err := c.Leave(); err != nil { // a deliberate leave: the player is not held
		t.Fatal(err)
	}
	waitRooms(t, ts, 0)
	ts.server.lobby.Reap(time.Now().Add(30 * time.Second))
	if len(roomList(t, ts)) != 1 {
		t.Fatal("an empty room closed before its idle timeout")
	}
	ts.server.lobby.Reap(time.Now().Add(time.Minute + time.Second))
	if got := roomList(t, ts); len(got) != 0 {
		t.Fatalf("rooms after the idle timeout: %+v", got)
	}
	fams := scrape(t, ts)
	if n := value(t, fams, "tickwire_rooms"); n != 0 {
		t.Errorf("tickwire_rooms %v after the room closed, want 0", n)
	}
	for _, name := range []string{"tickwire_tick_duration_seconds", "tickwire_tick_overruns_total"} {
		if f := fams[name]; f != nil && len(f.Metric) > 0 {
			t.Errorf("%s keeps %d series after the room closed", name, len(f.Metric))
		}
	}
	_, err = dialPath(t, ts, "?room="+rooms[0].ID)
	if code := netcode.CloseCodeOf(err); code != netcode.CloseNoSuchRoom {
		t.Errorf("joining the closed room: %v, want 4002", err)
	}
}

// TestSpectatorsTakeNoPlayerSlot: a room full of players still lets spectators watch, up to
// as many as it has player slots (by default); the room list counts them apart from the players, and
// quick play places a player in a room whose only other member is a spectator.
func TestSpectatorsTakeNoPlayerSlot(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-players", "2"))
	a, err := dialPath(t, ts, "?create=1")
	if err != nil {
		t.Fatal(err)
	}
	room := a.Welcome.RoomID
	for range 2 {
		if _, err := dialPath(t, ts, "?room="+room+"&spectate=1"); err != nil {
			t.Fatalf("a spectator in a room with one of two players: %v", err)
		}
	}
	_, err = dialPath(t, ts, "?room="+room+"&spectate=1")
	if code := netcode.CloseCodeOf(err); code != netcode.CloseTryAgainLater {
		t.Errorf("a third spectator where two may watch: %v, want 1013", err)
	}
	rooms := waitRooms(t, ts, 1)
	if rooms[0].Spectators != 2 {
		t.Errorf("room list entry %+v: want 2 spectators", rooms[0])
	}
	// What the tickwire_players and tickwire_spectators gauges read.
	if p, s := sumRooms(ts.server.lobby, (*Room).Players), sumRooms(ts.server.lobby, (*Room).Spectators); p != 1 || s != 2 {
		t.Errorf("gauges: %v players and %v spectators, want 1 and 2", p, s)
	}
	// The second player slot is still free: quick play fills it, and then the room is full.
	if _, err := dialPath(t, ts, ""); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, ts, 2)
	_, err = dialPath(t, ts, "?room="+room)
	if code := netcode.CloseCodeOf(err); code != netcode.CloseTryAgainLater {
		t.Errorf("a third player where two may play: %v, want 1013", err)
	}
}

// TestMaxSpectators: -max-spectators sets a room's spectator seats apart from its players',
// the room list says how many, and 0 turns spectating off with a reason that says so.
func TestMaxSpectators(t *testing.T) {
	ts := startServer(t, testConfig(t, "-max-players", "4", "-max-spectators", "1"))
	a, err := dialPath(t, ts, "?create=1")
	if err != nil {
		t.Fatal(err)
	}
	room := a.Welcome.RoomID
	if _, err := dialPath(t, ts, "?room="+room+"&spectate=1"); err != nil {
		t.Fatalf("the one spectator: %v", err)
	}
	_, err = dialPath(t, ts, "?room="+room+"&spectate=1")
	if code := netcode.CloseCodeOf(err); code != netcode.CloseTryAgainLater || !strings.Contains(err.Error(), "no seat left for spectators") {
		t.Errorf("a second spectator where one may watch: %v, want 1013, no seat left for spectators", err)
	}
	if rooms := waitRooms(t, ts, 1); rooms[0].MaxPlayers != 4 || rooms[0].MaxSpectators != 1 {
		t.Errorf("room list entry %+v: want 4 players and 1 spectator at most", rooms[0])
	}

	off := startServer(t, testConfig(t, "-max-spectators", "0"))
	b, err := dialPath(t, off, "?create=1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dialPath(t, off, "?room="+b.Welcome.RoomID+"&spectate=1")
	if code := netcode.CloseCodeOf(err); code != netcode.CloseTryAgainLater || !strings.Contains(err.Error(), "this server has no spectators") {
		t.Errorf("a spectator on a server with none: %v, want 1013, this server has no spectators", err)
	}
}
