package game

import "math"

// Grid is a uniform spatial hash over the arena: each cell holds the indices of the entities
// whose position falls in it, as linked lists threaded through two flat slices, so rebuilding it
// every tick allocates nothing once it has grown. Collisions use it. (Interest management in
// netcode keeps its own uniform grid, laid out for its many read-only circle queries a tick.)
type Grid struct {
	cell       float64
	cols, rows int
	head       []int32 // first entity index in each cell, -1 if empty
	next       []int32 // next entity index in the same cell, -1 at the end
}

// NewGrid returns a grid of square cells of the given size covering w x h.
func NewGrid(w, h, cell float64) *Grid {
	g := &Grid{cell: cell, cols: max(1, int(math.Ceil(w/cell))), rows: max(1, int(math.Ceil(h/cell)))}
	g.head = make([]int32, g.cols*g.rows)
	return g
}

// Reset empties the grid and makes room for n entities.
func (g *Grid) Reset(n int) {
	for i := range g.head {
		g.head[i] = -1
	}
	if cap(g.next) < n {
		g.next = make([]int32, n)
	}
	g.next = g.next[:n]
}

func (g *Grid) cellOf(p Vec) (cx, cy int) {
	cx = min(max(int(p.X/g.cell), 0), g.cols-1)
	cy = min(max(int(p.Y/g.cell), 0), g.rows-1)
	return cx, cy
}

// Insert puts entity i (below the n given to Reset) at p.
func (g *Grid) Insert(i int32, p Vec) {
	cx, cy := g.cellOf(p)
	c := cy*g.cols + cx
	g.next[i] = g.head[c]
	g.head[c] = i
}

// Query appends to dst the entities in every cell that overlaps the box [lo, hi] and returns
// it. The result is a superset: callers test exact distances themselves. Its order depends
// only on the insertions, so simulations that use it stay deterministic.
func (g *Grid) Query(lo, hi Vec, dst []int32) []int32 {
	cx0, cy0 := g.cellOf(lo)
	cx1, cy1 := g.cellOf(hi)
	for cy := cy0; cy <= cy1; cy++ {
		for cx := cx0; cx <= cx1; cx++ {
			for i := g.head[cy*g.cols+cx]; i >= 0; i = g.next[i] {
				dst = append(dst, i)
			}
		}
	}
	return dst
}
