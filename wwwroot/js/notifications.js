// Browser notifications for alerts (which ones: the Alerts settings page). Loaded by the layout's notification
// component through IJSRuntime; the alerts themselves come over the page's Blazor circuit.

export function permission() {
    return 'Notification' in window ? Notification.permission : 'unsupported';
}

export async function request() {
    if (!('Notification' in window)) return 'unsupported';
    return await Notification.requestPermission();
}

// One notification per alert: the tag makes the copies shown by several open pages of the same user replace each other.
export function show(title, body, url, tag) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return false;
    try {
        const n = new Notification(title, { body, tag });
        n.onclick = () => { window.focus(); if (url) window.location.href = url; };
        return true;
    } catch {
        // Some browsers allow notifications only from a service worker: the bell in the bar still shows the alert.
        return false;
    }
}
