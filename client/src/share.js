// Copying the room's link. navigator.clipboard exists only in secure contexts (https:, or
// http: on localhost), so a page served over plain http on a LAN address falls back to
// selecting the text and the older document.execCommand('copy').

/**
 * copyText puts text on the clipboard and resolves to true, or to false when neither way
 * worked (the caller then shows the text for the player to copy by hand).
 */
export async function copyText(text, doc = document, nav = globalThis.navigator) {
  if (nav?.clipboard?.writeText) {
    try {
      await nav.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, page not focused): try the old way.
    }
  }
  const area = doc.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  doc.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = doc.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}
