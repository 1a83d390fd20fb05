package game

import "math"

// Collision against walls. Players collide with walls as squares of half-size r (their radius):
// axis-separated sliding against tiles is exact, cheap, and simple to port to the browser for
// prediction. Bullets are points, traced through the tile grid.

// moveBox moves a square of half-size r centred at p by d and returns where it stops. It
// slides along walls: x first, then y. Long moves are split so that no step skips a tile.
func (a *Arena) moveBox(p Vec, r float64, d Vec) Vec {
	half := a.Map.TileSize / 2
	n := math.Ceil(math.Max(math.Abs(d.X), math.Abs(d.Y)) / half)
	if n == 0 {
		return p
	}
	step := d
	if n > 1 {
		step = d.Scale(1 / n)
	}
	for i := 0; i < int(n); i++ {
		p.X = a.slideX(p, r, step.X)
		p.Y = a.slideY(p, r, step.Y)
	}
	return p
}

// slideX returns the x the box centred at p reaches when it moves by dx (|dx| at most half a
// tile) and stops flush against the first wall column in its way.
func (a *Arena) slideX(p Vec, r, dx float64) float64 {
	if dx == 0 {
		return p.X
	}
	ts := a.Map.TileSize
	x := p.X + dx
	ty0, ty1 := int(math.Floor((p.Y-r)/ts)), int(math.Ceil((p.Y+r)/ts))-1
	if dx > 0 {
		tx := int(math.Ceil((x+r)/ts)) - 1 // the column the leading edge reaches
		for ty := ty0; ty <= ty1; ty++ {
			if a.wallAt(tx, ty) {
				return float64(tx)*ts - r
			}
		}
		return x
	}
	tx := int(math.Floor((x - r) / ts))
	for ty := ty0; ty <= ty1; ty++ {
		if a.wallAt(tx, ty) {
			return float64(tx+1)*ts + r
		}
	}
	return x
}

// slideY is slideX for the y axis.
func (a *Arena) slideY(p Vec, r, dy float64) float64 {
	if dy == 0 {
		return p.Y
	}
	ts := a.Map.TileSize
	y := p.Y + dy
	tx0, tx1 := int(math.Floor((p.X-r)/ts)), int(math.Ceil((p.X+r)/ts))-1
	if dy > 0 {
		ty := int(math.Ceil((y+r)/ts)) - 1
		for tx := tx0; tx <= tx1; tx++ {
			if a.wallAt(tx, ty) {
				return float64(ty)*ts - r
			}
		}
		return y
	}
	ty := int(math.Floor((y - r) / ts))
	for tx := tx0; tx <= tx1; tx++ {
		if a.wallAt(tx, ty) {
			return float64(ty+1)*ts + r
		}
	}
	return y
}

// traceWall follows the segment p + t*d for t in [0,1] through the tile grid (Amanatides and
// Woo's traversal) and returns the t at which it first enters a wall, or ok=false.
func (a *Arena) traceWall(p, d Vec) (t float64, ok bool) {
	ts := a.Map.TileSize
	tx, ty := int(math.Floor(p.X/ts)), int(math.Floor(p.Y/ts))
	if a.wallAt(tx, ty) {
		return 0, true
	}
	stepX, tMaxX, tDeltaX := traceAxis(p.X, d.X, ts)
	stepY, tMaxY, tDeltaY := traceAxis(p.Y, d.Y, ts)
	for {
		if tMaxX < tMaxY {
			t = tMaxX
			tx += stepX
			tMaxX += tDeltaX
		} else {
			t = tMaxY
			ty += stepY
			tMaxY += tDeltaY
		}
		if t > 1 {
			return 0, false
		}
		if a.wallAt(tx, ty) {
			return t, true
		}
	}
}

// traceAxis returns, for one axis of a traversal, the tile step, the t of the first tile
// boundary crossed and the t between boundaries.
func traceAxis(p, d, ts float64) (step int, tMax, tDelta float64) {
	switch {
	case d > 0:
		return 1, (math.Floor(p/ts)*ts + ts - p) / d, ts / d
	case d < 0:
		return -1, (p - math.Floor(p/ts)*ts) / -d, ts / -d
	default:
		return 0, math.Inf(1), math.Inf(1)
	}
}

// segmentCircle returns the first t in [0,1] at which the point p + t*d is within radius r of
// c, or ok=false. A point that starts inside hits at t=0.
func segmentCircle(p, d, c Vec, r float64) (t float64, ok bool) {
	f := p.Sub(c)
	cc := f.Dot(f) - float64(r*r)
	if cc <= 0 {
		return 0, true
	}
	a := d.Dot(d)
	if a == 0 {
		return 0, false
	}
	b := f.Dot(d)
	disc := float64(b*b) - float64(a*cc)
	if disc < 0 || b >= 0 {
		return 0, false // misses, or moves away
	}
	t = (-b - math.Sqrt(disc)) / a
	return t, t <= 1
}
