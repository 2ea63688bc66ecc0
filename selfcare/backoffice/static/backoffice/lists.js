'use strict';
// Staff lists: the menu beside a list starts folded, so that the list and its filters have the width of a
// 1366 px screen. Run before the admin's nav_sidebar.js (deferred) reads the choice; a staff member who opens
// the menu with its button keeps it open, as the admin remembers.
try {
    if (localStorage.getItem('django.admin.navSidebarIsOpen') === null) {
        localStorage.setItem('django.admin.navSidebarIsOpen', 'false');
    }
} catch (e) {
    // No storage (a private window that refuses it): the admin's own default stands.
}
