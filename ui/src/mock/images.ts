// Drawn stand-ins for camera frames and fingerprint images, so the fake backend sends real
// JPEG/PNG base64 like the engine does, without shipping photographs of anyone.
import type { Images } from './backend';

function canvas(w: number, h: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return [c, c.getContext('2d')!];
}

const b64 = (dataUrl: string) => dataUrl.slice(dataUrl.indexOf(',') + 1);

export const drawnImages: Images = {
  portrait(frame, failing) {
    const [c, g] = canvas(320, 400);
    const dark = failing.includes('exposure');
    g.fillStyle = failing.includes('background') ? '#c9c2b5' : dark ? '#8d949b' : '#eef1f4';
    g.fillRect(0, 0, 320, 400);
    if (failing.includes('face_count')) return b64(c.toDataURL('image/jpeg', 0.7));
    const small = failing.includes('face_scale');
    const tilt = failing.includes('roll') ? 0.25 : 0;
    const s = small ? 0.65 : 1;
    g.save();
    g.translate(160, 210);
    g.rotate(tilt);
    g.scale(s, s);
    // Shoulders, neck, head, hair: a neutral silhouette.
    g.fillStyle = dark ? '#2c3e50' : '#34495e';
    g.beginPath();
    g.ellipse(0, 190, 150, 90, 0, Math.PI, 0);
    g.fill();
    g.fillStyle = dark ? '#8a6a52' : '#c69c7b';
    g.fillRect(-28, 40, 56, 70);
    g.beginPath();
    g.ellipse(0, -10, 78, 100, 0, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#2b2118';
    g.beginPath();
    g.ellipse(0, -70, 82, 50, 0, Math.PI, 0);
    g.fill();
    g.fillStyle = '#1d1d1d';
    g.beginPath();
    g.arc(-28, -15, 6, 0, Math.PI * 2);
    g.arc(28, -15, 6, 0, Math.PI * 2);
    g.fill();
    g.strokeStyle = '#7a4a3a';
    g.lineWidth = 4;
    g.beginPath();
    g.arc(0, 30, 22, 0.2 * Math.PI, 0.8 * Math.PI);
    g.stroke();
    g.restore();
    g.fillStyle = 'rgba(0,0,0,0.35)';
    g.font = '14px sans-serif';
    g.fillText(`frame ${frame + 1}`, 10, 390);
    return b64(c.toDataURL('image/jpeg', 0.75));
  },
  finger(position) {
    const [c, g] = canvas(120, 150);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 120, 150);
    g.strokeStyle = '#222';
    g.lineWidth = 2.2;
    const cx = 60 + ((position * 13) % 11) - 5;
    const cy = 78 + ((position * 7) % 9) - 4;
    for (let r = 6; r < 80; r += 6) {
      g.beginPath();
      g.ellipse(cx, cy, r * 0.8, r, (position % 3) * 0.2, 0.15 * Math.PI, 2.05 * Math.PI);
      g.stroke();
    }
    return b64(c.toDataURL('image/png'));
  },
};
